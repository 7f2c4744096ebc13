/// Reading the Hasura session from Firebase ID-token claims.
library;

/// The claims namespace Hasura reads in JWT mode (its default), set by the stack's functions and services.
const hasuraClaimsNamespace = 'https://hasura.io/jwt/claims';

/// The global role of app administrators (`users.role`), a Hasura role of its own. Hasura's built-in `admin` role
/// belongs to the stack's admin secret alone and is never in a user's token.
const operatorRole = 'operator';

/// The Hasura role an ID token carries (`x-hasura-default-role`), or null when it carries no Hasura claims.
///
/// Claims arrive as loosely typed maps on every platform, so each level is checked rather than cast.
String? hasuraRoleOf(Map<String, dynamic>? claims) {
  final hasura = claims?[hasuraClaimsNamespace];
  if (hasura is! Map<Object?, Object?>) return null;
  final role = hasura['x-hasura-default-role'];
  return role is String ? role : null;
}
