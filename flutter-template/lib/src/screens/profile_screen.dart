import 'dart:async';

import 'package:flutter/material.dart';
import 'package:graphql_flutter/graphql_flutter.dart';
import 'package:image_picker/image_picker.dart';

import '../auth/claims.dart';
import '../auth/session.dart';
import '../files/upload.dart';
import '../graphql/documents.dart';
import '../widgets/error_text.dart';
import '../widgets/live_query.dart';

/// The user's own `users` row, live, with the display name editable, and their profile picture.
class ProfileScreen extends StatelessWidget {
  const ProfileScreen({super.key, required this.session});

  final Session session;

  @override
  Widget build(BuildContext context) {
    final userId = session.user!.uid;
    return LiveQuery(
      document: myProfileSubscription,
      variables: {'id': userId},
      builder: (context, data) {
        final me = data['users_by_pk'];
        if (me is! Map<String, dynamic>) {
          // The user-sync function creates the row right after the first sign-in.
          return const Center(child: Text('Your profile is being created…'));
        }
        return _ProfileForm(
          userId: userId,
          // createUploadUrl is an action of the user role: operators see their picture but do not change it here.
          canUploadPicture: session.role != operatorRole,
          displayName: me['display_name'] as String?,
          details: [
            ('Phone', me['phone'] as String?),
            ('Email', me['email'] as String?),
            ('Role', me['role'] as String?),
          ],
        );
      },
    );
  }
}

class _ProfileForm extends StatefulWidget {
  const _ProfileForm({
    required this.userId,
    required this.canUploadPicture,
    required this.displayName,
    required this.details,
  });

  final String userId;
  final bool canUploadPicture;
  final String? displayName;
  final List<(String, String?)> details;

  @override
  State<_ProfileForm> createState() => _ProfileFormState();
}

class _ProfileFormState extends State<_ProfileForm> {
  late final _displayName = TextEditingController(text: widget.displayName ?? '');
  bool _saving = false;

  @override
  void didUpdateWidget(_ProfileForm oldWidget) {
    super.didUpdateWidget(oldWidget);
    // A change from elsewhere (another device) replaces the field unless the user is editing it.
    if (widget.displayName != oldWidget.displayName && _displayName.text == (oldWidget.displayName ?? '')) {
      _displayName.text = widget.displayName ?? '';
    }
  }

  @override
  void dispose() {
    _displayName.dispose();
    super.dispose();
  }

  Future<void> _save() async {
    final messenger = ScaffoldMessenger.of(context);
    final client = GraphQLProvider.of(context).value;
    final name = _displayName.text.trim();
    setState(() => _saving = true);
    final result = await client.mutate(
      MutationOptions<Object?>(
        document: gql(updateDisplayNameMutation),
        variables: {'id': widget.userId, 'displayName': name.isEmpty ? null : name},
      ),
    );
    if (!mounted) return;
    setState(() => _saving = false);
    final exception = result.exception;
    messenger.showSnackBar(SnackBar(content: Text(exception == null ? 'Saved' : describeError(exception))));
  }

  @override
  Widget build(BuildContext context) {
    return ListView(
      padding: const EdgeInsets.all(24),
      children: [
        _ProfilePicture(userId: widget.userId, canUpload: widget.canUploadPicture),
        const SizedBox(height: 24),
        TextField(
          key: const Key('display-name'),
          controller: _displayName,
          enabled: !_saving,
          decoration: const InputDecoration(labelText: 'Display name'),
          onSubmitted: (_) => _save(),
        ),
        Align(
          alignment: Alignment.centerRight,
          child: Padding(
            padding: const EdgeInsets.only(top: 8),
            child: FilledButton(onPressed: _saving ? null : _save, child: const Text('Save')),
          ),
        ),
        const SizedBox(height: 24),
        for (final (label, value) in widget.details)
          ListTile(title: Text(label), subtitle: Text(value ?? '—')),
      ],
    );
  }
}

/// The newest `profile-picture` file of the user, shown through a signed download URL, and a button to replace it.
class _ProfilePicture extends StatefulWidget {
  const _ProfilePicture({required this.userId, required this.canUpload});

  final String userId;
  final bool canUpload;

  @override
  State<_ProfilePicture> createState() => _ProfilePictureState();
}

class _ProfilePictureState extends State<_ProfilePicture> {
  String? _fileId;
  SignedUrl? _picture;
  Object? _error;
  bool _busy = true;
  bool _started = false;

  @override
  void didChangeDependencies() {
    super.didChangeDependencies();
    if (_started) return;
    _started = true;
    unawaited(_settle(_latest));
  }

  /// Runs [step] with the spinner on; its URL (null: no picture) or its error is what the widget shows next.
  Future<void> _run(Future<SignedUrl?> Function() step) async {
    setState(() {
      _busy = true;
      _error = null;
    });
    await _settle(step);
  }

  Future<void> _settle(Future<SignedUrl?> Function() step) async {
    try {
      final picture = await step();
      if (!mounted) return;
      setState(() {
        _picture = picture;
        _busy = false;
      });
    } catch (error) {
      if (!mounted) return;
      setState(() {
        _error = error;
        _busy = false;
      });
    }
  }

  Future<SignedUrl?> _latest() async {
    final client = GraphQLProvider.of(context).value;
    final result = await client.query(
      QueryOptions<Object?>(
        document: gql(myProfilePictureQuery),
        variables: {'userId': widget.userId, 'name': profilePictureName},
        fetchPolicy: FetchPolicy.networkOnly,
      ),
    );
    final exception = result.exception;
    if (exception != null) throw exception;
    final files = result.data!['files'] as List<dynamic>;
    if (files.isEmpty) return null;
    final fileId = (files.first as Map<String, dynamic>)['id'] as String;
    _fileId = fileId;
    return downloadUrlOf(client, fileId);
  }

  Future<SignedUrl?> _pickAndUpload() async {
    final client = GraphQLProvider.of(context).value;
    final image = await ImagePicker().pickImage(source: ImageSource.gallery, maxWidth: 1024, imageQuality: 85);
    // Cancelled: keep the picture there is.
    if (image == null) return _picture;
    final contentType = imageContentTypeOf(image.name, image.mimeType);
    if (contentType == null) throw const FileTransferException('Pick a JPEG, PNG or WebP image.');
    final bytes = await image.readAsBytes();
    final fileId = await uploadFile(client, name: profilePictureName, bytes: bytes, contentType: contentType);
    final picture = await waitForDownloadUrl(client, fileId);
    _fileId = fileId;
    return picture;
  }

  /// Signed URLs expire: an image that fails to load (again) after its URL expired gets a fresh URL.
  void _refreshIfExpired() {
    final fileId = _fileId;
    final picture = _picture;
    if (!mounted || _busy || fileId == null || picture == null || !picture.expired) return;
    unawaited(_run(() => downloadUrlOf(GraphQLProvider.of(context).value, fileId)));
  }

  @override
  Widget build(BuildContext context) {
    final colors = Theme.of(context).colorScheme;
    final picture = _picture;
    final error = _error;
    return Column(
      children: [
        SizedBox.square(
          dimension: 112,
          child: ClipOval(
            child: ColoredBox(
              color: colors.surfaceContainerHighest,
              child: _busy
                  ? const Center(child: CircularProgressIndicator())
                  : picture == null
                  ? Icon(Icons.person, size: 56, color: colors.onSurfaceVariant)
                  : Image.network(
                      picture.url,
                      key: ValueKey(picture.url),
                      fit: BoxFit.cover,
                      errorBuilder: (context, error, stackTrace) {
                        WidgetsBinding.instance.addPostFrameCallback((_) => _refreshIfExpired());
                        return Icon(Icons.broken_image, size: 56, color: colors.onSurfaceVariant);
                      },
                    ),
            ),
          ),
        ),
        if (error != null) ErrorText(error, onRetry: () => _run(_latest)),
        if (widget.canUpload)
          TextButton.icon(
            key: const Key('pick-profile-picture'),
            onPressed: _busy ? null : () => _run(_pickAndUpload),
            icon: const Icon(Icons.photo_library),
            label: Text(picture == null ? 'Add a picture' : 'Change picture'),
          ),
      ],
    );
  }
}
