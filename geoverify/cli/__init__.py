"""The ``geoverify`` command line: a click group with one module per subcommand."""
