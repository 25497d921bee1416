"""``python -m geoverify`` works the same as ``geoverify``."""

from geoverify.cli.main import main

if __name__ == "__main__":
    main()
