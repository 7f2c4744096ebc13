import 'dart:async';

import 'package:flutter/foundation.dart';
import 'package:flutter/material.dart';
import 'package:graphql_flutter/graphql_flutter.dart';

import 'error_text.dart';

/// Builds from the latest result of a live query: `data` is the subscription's data.
typedef LiveQueryBuilder = Widget Function(BuildContext context, Map<String, dynamic> data);

/// Runs a GraphQL subscription (Hasura live query) on the client from the nearest [GraphQLProvider] and rebuilds
/// with every result; shows progress until the first one and errors in place.
///
/// When the provider hands out a new client (the session reopens its connection after a role change), the
/// subscription starts again on it, so the data always reflects the current role.
class LiveQuery extends StatefulWidget {
  const LiveQuery({super.key, required this.document, this.variables = const {}, required this.builder});

  /// The subscription, as GraphQL source.
  final String document;
  final Map<String, dynamic> variables;
  final LiveQueryBuilder builder;

  @override
  State<LiveQuery> createState() => _LiveQueryState();
}

class _LiveQueryState extends State<LiveQuery> {
  GraphQLClient? _client;
  StreamSubscription<QueryResult<Object?>>? _subscription;
  Map<String, dynamic>? _data;
  Object? _error;

  @override
  void didChangeDependencies() {
    super.didChangeDependencies();
    final client = GraphQLProvider.of(context).value;
    if (!identical(client, _client)) {
      _client = client;
      _subscribe();
    }
  }

  @override
  void didUpdateWidget(LiveQuery oldWidget) {
    super.didUpdateWidget(oldWidget);
    if (oldWidget.document != widget.document || !mapEquals(oldWidget.variables, widget.variables)) _subscribe();
  }

  void _subscribe() {
    unawaited(_subscription?.cancel());
    _subscription = _client!
        .subscribe(SubscriptionOptions<Object?>(document: gql(widget.document), variables: widget.variables))
        .listen(
          (result) => setState(() {
            if (result.hasException) {
              _error = result.exception;
            } else if (result.data != null) {
              _error = null;
              _data = result.data;
            }
          }),
          onError: (Object error) => setState(() => _error = error),
        );
  }

  @override
  void dispose() {
    unawaited(_subscription?.cancel());
    super.dispose();
  }

  @override
  Widget build(BuildContext context) {
    final error = _error;
    final data = _data;
    if (error != null) {
      return Center(
        child: ErrorText(
          error,
          onRetry: () => setState(() {
            _error = null;
            _subscribe();
          }),
        ),
      );
    }
    if (data == null) return const Center(child: CircularProgressIndicator());
    return widget.builder(context, data);
  }
}
