"""Run the command line as `python -m sokasi_post`."""

from sokasi_post import main

main()
