import ArgumentParser

await LoftCommand.main()
