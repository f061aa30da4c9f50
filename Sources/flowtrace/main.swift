import FlowCLI

FlowTrace.main()
