import 'package:flutter/foundation.dart';
import 'package:flutter/material.dart';

import '../auth/session.dart';
import 'organizations_screen.dart';
import 'profile_screen.dart';

/// The signed-in area: organizations and the user's profile.
class HomeScreen extends StatefulWidget {
  const HomeScreen({super.key, required this.session, required this.stack});

  final Session session;

  /// The stack's name, shown in debug builds so that nobody tests against the wrong backend.
  final String stack;

  @override
  State<HomeScreen> createState() => _HomeScreenState();
}

class _HomeScreenState extends State<HomeScreen> {
  int _tab = 0;

  @override
  Widget build(BuildContext context) {
    final session = widget.session;
    final debugLabel = kReleaseMode ? '' : ' · ${widget.stack}';
    return Scaffold(
      appBar: AppBar(
        title: Text('${_tab == 0 ? 'Organizations' : 'Profile'}$debugLabel'),
        actions: [
          IconButton(tooltip: 'Sign out', icon: const Icon(Icons.logout), onPressed: () => session.signOut()),
        ],
      ),
      body: switch (_tab) {
        0 => OrganizationsScreen(session: session),
        _ => ProfileScreen(session: session),
      },
      bottomNavigationBar: NavigationBar(
        selectedIndex: _tab,
        onDestinationSelected: (tab) => setState(() => _tab = tab),
        destinations: const [
          NavigationDestination(icon: Icon(Icons.apartment), label: 'Organizations'),
          NavigationDestination(icon: Icon(Icons.person), label: 'Profile'),
        ],
      ),
    );
  }
}
