from c2net.cli import main

main()
