"""``python -m ukid``: the same as the ``ukid`` console script."""

from ukid.cli import main

if __name__ == "__main__":
    main()
