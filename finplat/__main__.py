from finplat.cli import main

main()
