/// Uploading a file through the core service's `createUploadUrl` action and reading it back through
/// `createDownloadUrl`: the app never sees the bucket's credentials, only short-lived signed URLs.
library;

import 'dart:typed_data';

import 'package:graphql_flutter/graphql_flutter.dart';
import 'package:http/http.dart' as http;

import '../graphql/documents.dart';

/// The image types the stack accepts by default (`allowedContentTypes` of `pulsura:storage`), by file extension.
const imageContentTypes = {'jpg': 'image/jpeg', 'jpeg': 'image/jpeg', 'png': 'image/png', 'webp': 'image/webp'};

/// The content type of an image named [fileName], from the picker's [mimeType] when it gives one (the web does,
/// mobile platforms often do not), else from the extension; null for any other type.
String? imageContentTypeOf(String fileName, String? mimeType) {
  final declared = mimeType?.toLowerCase();
  if (declared != null && imageContentTypes.containsValue(declared)) return declared;
  final dot = fileName.lastIndexOf('.');
  return dot < 0 ? null : imageContentTypes[fileName.substring(dot + 1).toLowerCase()];
}

/// A failed upload or download, with a message a person can act on (`describeError` shows it).
class FileTransferException implements Exception {
  const FileTransferException(this.message);

  final String message;

  @override
  String toString() => message;
}

/// A signed URL and when it stops working.
class SignedUrl {
  const SignedUrl(this.url, this.expiresAt);

  final String url;
  final DateTime expiresAt;

  /// True shortly before the expiry too, so that a URL handed out now still works when the request arrives.
  bool get expired => DateTime.now().isAfter(expiresAt.subtract(const Duration(seconds: 30)));
}

/// Creates a pending file named [name] and PUTs [bytes] to its signed upload URL; returns the file id.
///
/// The URL is signed for exactly this content type and size, so both headers must match what was declared. The
/// service confirms the file once Cloud Storage reports the object: until then [downloadUrlOf] says "file not found".
Future<String> uploadFile(
  GraphQLClient client, {
  required String name,
  required Uint8List bytes,
  required String contentType,
  String? organizationId,
}) async {
  final result = await client.mutate(
    MutationOptions<Object?>(
      document: gql(createUploadUrlMutation),
      variables: {'name': name, 'contentType': contentType, 'size': bytes.length, 'organizationId': organizationId},
      fetchPolicy: FetchPolicy.noCache,
    ),
  );
  final exception = result.exception;
  if (exception != null) throw exception;
  final created = result.data!['createUploadUrl'] as Map<String, dynamic>;
  final response = await http.put(
    Uri.parse(created['uploadUrl'] as String),
    headers: {'Content-Type': contentType, 'x-goog-content-length-range': '${bytes.length},${bytes.length}'},
    body: bytes,
  );
  if (response.statusCode < 200 || response.statusCode > 299) {
    throw FileTransferException('The upload was refused (HTTP ${response.statusCode}). Try again.');
  }
  return created['fileId'] as String;
}

/// A signed download URL for the uploaded file [fileId].
Future<SignedUrl> downloadUrlOf(GraphQLClient client, String fileId) async {
  final result = await client.mutate(
    MutationOptions<Object?>(
      document: gql(createDownloadUrlMutation),
      variables: {'fileId': fileId},
      fetchPolicy: FetchPolicy.noCache,
    ),
  );
  final exception = result.exception;
  if (exception != null) throw exception;
  final signed = result.data!['createDownloadUrl'] as Map<String, dynamic>;
  return SignedUrl(signed['downloadUrl'] as String, DateTime.parse(signed['expiresAt'] as String));
}

/// Waits between tries of [waitForDownloadUrl]: the confirmation usually takes a second or two.
const confirmationDelays = [
  Duration(milliseconds: 500),
  Duration(seconds: 1),
  Duration(seconds: 2),
  Duration(seconds: 4),
  Duration(seconds: 8),
];

/// [downloadUrlOf] a file just uploaded, retrying with backoff while the service has not confirmed it yet.
Future<SignedUrl> waitForDownloadUrl(
  GraphQLClient client,
  String fileId, {
  List<Duration> delays = confirmationDelays,
}) async {
  for (var attempt = 0; ; attempt++) {
    try {
      return await downloadUrlOf(client, fileId);
    } on OperationException catch (error) {
      if (!_isNotFound(error)) rethrow;
      if (attempt == delays.length) {
        throw const FileTransferException('The upload has not been confirmed yet. Try again in a minute.');
      }
    }
    await Future<void>.delayed(delays[attempt]);
  }
}

/// The action's answer for a file that is not (yet) uploaded: `{message, extensions: {code: "not-found"}}`.
bool _isNotFound(OperationException error) => error.graphqlErrors.any((e) => e.extensions?['code'] == 'not-found');
