import 'dart:async';

import 'package:firebase_auth/firebase_auth.dart';
import 'package:flutter/foundation.dart';
import 'package:graphql_flutter/graphql_flutter.dart';

import '../config/stack_options.dart';
import '../graphql/documents.dart';
import '../graphql/hasura_connection.dart';
import 'claims.dart';

/// The signed-in user and their connection to Hasura, kept in step with Firebase Auth.
///
/// * Signing in opens a [HasuraConnection]; signing out closes it.
/// * ID tokens expire after an hour: Firebase refreshes them, the HTTP link always asks for the current one, and the
///   WebSocket sends a fresh one whenever it reconnects.
/// * A role change (`users.role`, the `user_role_changed` flow) reaches the app through a subscription to the user's
///   own row. The app then forces a token refresh to pick up the new claims and reopens the connection so that
///   subscriptions run with the new role. The backend also revokes the user's refresh tokens, so the forced refresh
///   may fail: the user is then signed out and asked to sign in again, which yields a token with the new role.
class Session extends ChangeNotifier {
  Session({required FirebaseAuth auth, required StackOptions options}) : _auth = auth, _options = options;

  final FirebaseAuth _auth;
  final StackOptions _options;

  /// Delays between attempts to pick up new claims: the backend updates them a moment after the row changes.
  static const roleRefreshDelays = [
    Duration.zero,
    Duration(seconds: 2),
    Duration(seconds: 5),
    Duration(seconds: 15),
    Duration(seconds: 30),
  ];

  StreamSubscription<User?>? _tokenChanges;
  Future<void> _handled = Future<void>.value();
  StreamSubscription<QueryResult<Object?>>? _ownRow;
  HasuraConnection? _connection;
  ValueNotifier<GraphQLClient>? _client;
  bool _refreshingRole = false;

  /// The signed-in user, or null.
  User? get user => _user;
  User? _user;

  /// The GraphQL client while someone is signed in (the notifier's value changes when the connection is reopened).
  ValueNotifier<GraphQLClient>? get client => _client;

  /// The Hasura role of the current ID token (`user`, `operator`), or null before the first token is read.
  String? get role => _role;
  String? _role;

  /// Why the user was signed out, for the sign-in screen; cleared on the next sign-in.
  String? get notice => _notice;
  String? _notice;

  /// Starts following Firebase Auth. Call once.
  void start() {
    // idTokenChanges: sign-in, sign-out, and every new token (hourly refresh, forced refresh).
    // Handled one after the other: each step awaits, and a later event must not overtake an earlier one.
    _tokenChanges = _auth.idTokenChanges().listen((user) {
      _handled = _handled.then((_) => _guard(() => _onIdToken(user)));
    });
  }

  /// Runs [step], reporting a failure instead of breaking the chain of token events.
  Future<void> _guard(Future<void> Function() step) async {
    try {
      await step();
    } catch (error, stack) {
      FlutterError.reportError(FlutterErrorDetails(exception: error, stack: stack, library: 'pulsura session'));
    }
  }

  Future<void> _onIdToken(User? user) async {
    if (user == null) {
      await _disconnect();
      _user = null;
      _role = null;
      notifyListeners();
      return;
    }
    final role = hasuraRoleOf((await user.getIdTokenResult()).claims);
    final sameUser = _user?.uid == user.uid;
    _user = user;
    if (_connection == null || !sameUser || role != _role) {
      _role = role;
      _notice = null;
      await _connect(user);
    }
    notifyListeners();
  }

  Future<void> _connect(User user) async {
    await _ownRow?.cancel();
    final previous = _connection;
    final connection = HasuraConnection.open(
      httpUrl: _options.hasuraGraphqlUrl,
      websocketUrl: _options.hasuraWebsocketUrl,
      idToken: () async {
        final current = _auth.currentUser;
        return current == null ? null : await current.getIdToken();
      },
    );
    _connection = connection;
    if (_client == null) {
      _client = ValueNotifier(connection.client);
    } else {
      _client!.value = connection.client;
    }
    await previous?.close();
    _ownRow = connection.client
        .subscribe(SubscriptionOptions<Object?>(document: gql(myProfileSubscription), variables: {'id': user.uid}))
        .listen(_onOwnRow);
  }

  void _onOwnRow(QueryResult<Object?> result) {
    final row = result.data?['users_by_pk'];
    final rowRole = row is Map<String, dynamic> ? row['role'] : null;
    if (rowRole is String && _role != null && rowRole != _role) unawaited(_guard(() => _pickUpRole(rowRole)));
  }

  /// Forces token refreshes until the token's role is [rowRole], or signs the user out when Firebase refuses.
  Future<void> _pickUpRole(String rowRole) async {
    if (_refreshingRole) return;
    _refreshingRole = true;
    try {
      for (final delay in roleRefreshDelays) {
        await Future<void>.delayed(delay);
        final user = _auth.currentUser;
        if (user == null) return;
        // Forcing the refresh fetches the new custom claims; idTokenChanges then reopens the connection.
        final token = await user.getIdTokenResult(true);
        if (hasuraRoleOf(token.claims) == rowRole) return;
      }
    } on FirebaseAuthException catch (error) {
      // The backend revokes refresh tokens when the role changes: a new sign-in yields the new claims.
      if (const {'user-token-expired', 'invalid-user-token', 'user-disabled', 'user-not-found'}.contains(error.code)) {
        await signOut(notice: 'Your role has changed. Sign in again to continue.');
      } else {
        rethrow;
      }
    } finally {
      _refreshingRole = false;
    }
  }

  /// Signs out; [notice] is shown on the sign-in screen.
  Future<void> signOut({String? notice}) async {
    _notice = notice;
    await _auth.signOut();
  }

  Future<void> _disconnect() async {
    await _ownRow?.cancel();
    _ownRow = null;
    await _connection?.close();
    _connection = null;
    // Not disposed: the GraphQLProvider of the signed-in screens still unregisters from it while they unmount.
    _client = null;
  }

  @override
  void dispose() {
    unawaited(_tokenChanges?.cancel());
    unawaited(_disconnect());
    super.dispose();
  }
}
