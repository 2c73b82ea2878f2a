from newssearch.client import main

main()
