import 'package:firebase_auth/firebase_auth.dart';
import 'package:flutter/material.dart';
import 'package:flutter_test/flutter_test.dart';
import 'package:pulsura_app/src/auth/claims.dart';
import 'package:pulsura_app/src/auth/sign_in_methods.dart';
import 'package:pulsura_app/src/config/stack_options.dart';
import 'package:pulsura_app/src/organizations/membership_rules.dart';
import 'package:pulsura_app/src/screens/members_screen.dart';
import 'package:pulsura_app/src/screens/sign_in_screen.dart';

/// Records what the sign-in screen asks for, instead of calling Firebase.
class RecordingSignInMethods implements SignInMethods {
  final calls = <String>[];

  /// Thrown by the next call, when set.
  Object? failure;

  Future<void> _record(String call) async {
    calls.add(call);
    final error = failure;
    if (error != null) throw error;
  }

  @override
  Future<PendingPhoneSignIn> startPhoneSignIn(String phoneNumber) async {
    await _record('sms to $phoneNumber');
    return _RecordingPendingPhone(this);
  }

  @override
  Future<void> signInWithEmail(String email, String password) => _record('email $email / $password');

  @override
  Future<void> createAccountWithEmail(String email, String password) => _record('new account $email');

  @override
  Future<void> signInWithOAuth(SignInProvider provider) => _record('oauth ${provider.name}');
}

class _RecordingPendingPhone implements PendingPhoneSignIn {
  _RecordingPendingPhone(this._methods);

  final RecordingSignInMethods _methods;

  @override
  bool get completed => false;

  @override
  Future<void> confirm(String smsCode) => _methods._record('code $smsCode');
}

Future<RecordingSignInMethods> pumpSignIn(WidgetTester tester, Set<SignInProvider> providers, {String? notice}) async {
  final methods = RecordingSignInMethods();
  await tester.pumpWidget(MaterialApp(home: SignInScreen(methods: methods, providers: providers, notice: notice)));
  return methods;
}

void main() {
  group('sign-in screen', () {
    testWidgets('offers exactly the sign-in methods the stack enables', (tester) async {
      await pumpSignIn(tester, {SignInProvider.phone, SignInProvider.google});
      expect(find.byKey(const Key('phone-number')), findsOneWidget);
      expect(find.text('Continue with Google'), findsOneWidget);
      expect(find.byKey(const Key('email')), findsNothing);
      expect(find.text('Continue with Apple'), findsNothing);
    });

    testWidgets('phone sign-in sends an SMS to the number, then confirms the code', (tester) async {
      final methods = await pumpSignIn(tester, {SignInProvider.phone});
      expect(find.byKey(const Key('sms-code')), findsNothing);

      await tester.enterText(find.byKey(const Key('phone-number')), ' +15555550100 ');
      await tester.tap(find.text('Send code'));
      await tester.pumpAndSettle();
      expect(find.byKey(const Key('sms-code')), findsOneWidget);

      await tester.enterText(find.byKey(const Key('sms-code')), '123456');
      await tester.tap(find.text('Verify'));
      await tester.pumpAndSettle();
      expect(methods.calls, ['sms to +15555550100', 'code 123456']);
    });

    testWidgets('email sign-in passes the address and password', (tester) async {
      final methods = await pumpSignIn(tester, {SignInProvider.email});
      await tester.enterText(find.byKey(const Key('email')), 'ada@example.com');
      await tester.enterText(find.byKey(const Key('password')), 'correct horse');
      await tester.tap(find.widgetWithText(FilledButton, 'Sign in'));
      await tester.pumpAndSettle();
      expect(methods.calls, ['email ada@example.com / correct horse']);
    });

    testWidgets('shows why a sign-in failed and stays usable', (tester) async {
      final methods = await pumpSignIn(tester, {SignInProvider.phone});
      methods.failure = FirebaseAuthException(code: 'invalid-phone-number', message: 'The phone number is not valid.');
      await tester.enterText(find.byKey(const Key('phone-number')), '12');
      await tester.tap(find.text('Send code'));
      await tester.pumpAndSettle();
      expect(find.text('The phone number is not valid.'), findsOneWidget);
      expect(find.byKey(const Key('sms-code')), findsNothing);
      expect(tester.widget<FilledButton>(find.widgetWithText(FilledButton, 'Send code')).onPressed, isNotNull);
    });

    testWidgets('explains a forced sign-out', (tester) async {
      await pumpSignIn(tester, {SignInProvider.phone}, notice: 'Your role has changed. Sign in again to continue.');
      expect(find.text('Your role has changed. Sign in again to continue.'), findsOneWidget);
    });
  });

  group('members', () {
    const members = [
      Membership(userId: 'owner-1', role: 'owner'),
      Membership(userId: 'admin-1', role: 'admin'),
      Membership(userId: 'member-1', role: 'member'),
    ];

    Future<List<String>> pumpMembers(WidgetTester tester, String userId, {String? globalRole}) async {
      final changes = <String>[];
      final rules = MembershipRules.of(
        permissions: members.any((m) => m.userId == userId && (m.role == 'owner' || m.role == 'admin'))
            ? const ['organization.read', 'members.read', 'members.manage']
            : const ['organization.read', 'members.read'],
        members: members,
        userId: userId,
        globalRole: globalRole,
      );
      await tester.pumpWidget(
        MaterialApp(
          home: MembersView(
            members: members,
            currentUserId: userId,
            rules: rules,
            onAdd: (id, role) async => changes.add('add $id as $role'),
            onChangeRole: (member, role) async => changes.add('${member.userId} becomes $role'),
            onRemove: (member) async => changes.add('remove ${member.userId}'),
          ),
        ),
      );
      return changes;
    }

    Finder manage(String userId) => find.byKey(ValueKey('manage-$userId'));

    testWidgets('plain members see the list without management controls', (tester) async {
      await pumpMembers(tester, 'member-1');
      expect(find.text('member-1 (you)'), findsOneWidget);
      expect(find.text('owner-1'), findsOneWidget);
      expect(find.text('Add member'), findsNothing);
      for (final member in members) {
        expect(manage(member.userId), findsNothing);
      }
    });

    testWidgets('admins manage members and admins but cannot touch owners or hand out ownership', (tester) async {
      final changes = await pumpMembers(tester, 'admin-1');
      expect(find.text('Add member'), findsOneWidget);
      expect(manage('owner-1'), findsNothing);
      expect(manage('member-1'), findsOneWidget);

      await tester.tap(manage('member-1'));
      await tester.pumpAndSettle();
      expect(find.text('Make admin'), findsOneWidget);
      expect(find.text('Make owner'), findsNothing);
      await tester.tap(find.text('Make admin'));
      await tester.pumpAndSettle();
      expect(changes, ['member-1 becomes admin']);
    });

    testWidgets('owners may hand out ownership and remove anyone', (tester) async {
      final changes = await pumpMembers(tester, 'owner-1');
      expect(manage('owner-1'), findsOneWidget);
      await tester.tap(manage('admin-1'));
      await tester.pumpAndSettle();
      expect(find.text('Make owner'), findsOneWidget);
      await tester.tap(find.text('Remove'));
      await tester.pumpAndSettle();
      expect(changes, ['remove admin-1']);
    });

    testWidgets('adding a member sends the user id and the chosen role', (tester) async {
      final changes = await pumpMembers(tester, 'admin-1');
      await tester.tap(find.text('Add member'));
      await tester.pumpAndSettle();
      await tester.enterText(find.byKey(const Key('member-user-id')), 'new-user');
      await tester.tap(find.text('Add'));
      await tester.pumpAndSettle();
      expect(changes, ['add new-user as member']);
    });

    testWidgets('operators manage every organization, even without a membership', (tester) async {
      await pumpMembers(tester, 'staff-1', globalRole: operatorRole);
      expect(find.text('Add member'), findsOneWidget);
      expect(manage('owner-1'), findsOneWidget);
    });

    testWidgets("a token saying Hasura's admin role gets no more than its memberships give", (tester) async {
      await pumpMembers(tester, 'staff-1', globalRole: 'admin');
      expect(find.text('Add member'), findsNothing);
      for (final member in members) {
        expect(manage(member.userId), findsNothing);
      }
    });
  });

  group('Hasura claims', () {
    test('reads the default role from the Hasura namespace', () {
      expect(
        hasuraRoleOf({
          'https://hasura.io/jwt/claims': {
            'x-hasura-default-role': 'operator',
            'x-hasura-allowed-roles': ['user', 'operator'],
          },
        }),
        operatorRole,
      );
    });

    test('is null for tokens without Hasura claims or with malformed ones', () {
      expect(hasuraRoleOf(null), isNull);
      expect(hasuraRoleOf({'sub': 'u1'}), isNull);
      expect(hasuraRoleOf({'https://hasura.io/jwt/claims': 'user'}), isNull);
      expect(hasuraRoleOf({'https://hasura.io/jwt/claims': {'x-hasura-default-role': 7}}), isNull);
    });
  });
}
