import 'package:graphql_flutter/graphql_flutter.dart';

/// Supplies the signed-in user's Firebase ID token, or null when nobody is signed in.
///
/// Firebase returns its cached token and refreshes it first when it expires within five minutes, so every request
/// asking for it gets a valid one.
typedef IdTokenSource = Future<String?> Function();

/// A GraphQL client for the stack's Hasura: queries and mutations over HTTPS, subscriptions over one WebSocket
/// (graphql-transport-ws), all authenticated with the Firebase ID token as `Authorization: Bearer <token>`.
///
/// Hasura fixes a WebSocket's session (user id, role) when the socket opens, so after the role claims change the
/// app replaces the whole connection (see `Session`); when a token expires Hasura closes the socket, and the
/// automatic reconnection sends a fresh token.
class HasuraConnection {
  HasuraConnection._(this.client, this._websocketLink);

  factory HasuraConnection.open({
    required String httpUrl,
    required String websocketUrl,
    required IdTokenSource idToken,
  }) {
    final httpLink = AuthLink(getToken: () async => _bearer(await idToken())).concat(HttpLink(httpUrl));
    final websocketLink = WebSocketLink(
      websocketUrl,
      subProtocol: GraphQLProtocol.graphqlTransportWs,
      config: SocketClientConfig(
        autoReconnect: true,
        // Pings keep idle sockets alive through proxies and notice dead ones.
        inactivityTimeout: const Duration(seconds: 30),
        // Browsers cannot set headers on a WebSocket, so Hasura reads them from the connection_init payload. A
        // function rather than a value: every (re)connection asks for the current token.
        initialPayload: () async {
          final authorization = _bearer(await idToken());
          return <String, dynamic>{
            'headers': <String, String>{if (authorization != null) 'Authorization': authorization},
          };
        },
      ),
    );
    final client = GraphQLClient(
      link: Link.split((request) => request.isSubscription, websocketLink, httpLink),
      cache: GraphQLCache(),
    );
    return HasuraConnection._(client, websocketLink);
  }

  final GraphQLClient client;
  final WebSocketLink _websocketLink;

  /// Closes the WebSocket; the HTTP link holds no connection of its own.
  Future<void> close() => _websocketLink.dispose();

  static String? _bearer(String? token) => token == null ? null : 'Bearer $token';
}
