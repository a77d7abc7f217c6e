from ccctl.cli import main

main()
