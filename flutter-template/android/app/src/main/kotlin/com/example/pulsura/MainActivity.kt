package com.example.pulsura

import io.flutter.embedding.android.FlutterActivity

class MainActivity : FlutterActivity()
