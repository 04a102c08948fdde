from leviers.cli.app import main

main()
