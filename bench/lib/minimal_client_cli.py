"""The LIMIT client as a process of its own, so its peak RSS can be measured like the others':
minimal_client_cli.py LAYOUT-DIR REF-NAME HOST REPOSITORY TAG pushes one image of a layout."""

import sys

from images import load_image
from minimal_client import Client, push_layout


def main(arguments):
    if len(arguments) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    directory, ref_name, host, repository, tag = arguments
    push_layout(Client(host), load_image(directory, ref_name, repository, tag))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
