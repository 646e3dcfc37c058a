import CNcursesw
enum TerminalModule {}
