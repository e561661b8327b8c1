from kommodore.cli import main

main()
