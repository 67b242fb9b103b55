import Foundation
import TestSupport
import Testing

/// The live stack checked against its own OpenAPI contract by
/// Tests/IntegrationTests/Contract/check_contract.py: every operation called with
/// batches in every state and validated with openapi-core, then fuzzed.
/// deploy/test installs the validator into a virtual environment and names its
/// Python in BATCHD_CONTRACT_PYTHON. The operations' check runs on one node over
/// SQLite and on three nodes over PostgreSQL: the same contract either way.
@Suite(.serialized) struct ContractTests {
    @Test(arguments: StoreBackend.allCases) func liveResponsesMatchTheContractAndSurviveFuzzing(_ store: StoreBackend) throws {
        guard let python = ProcessInfo.processInfo.environment["BATCHD_CONTRACT_PYTHON"] else {
            Issue.record("BATCHD_CONTRACT_PYTHON is not set: run the suite through deploy/test, which installs the validator")
            return
        }
        var options = TestStack.Options()
        // The first item fails at once; the others run long enough to be caught running and paused.
        options.processors = #"{"exec": {"flaky": {"command": ["/bin/sh", "-c", "x=$(cat); [ \"$x\" = bad ] && exit 3; sleep 30; echo '{}'"]}}}"#
        options.postgres = store == .postgres
        options.nodes = store == .postgres ? 3 : 1
        options.extraArguments = ["--scheduler-workers", "\(6 / options.nodes)"]
        let stack = try TestStack(options)
        defer { stack.stop() }
        let output = try stack.run(
            "/usr/bin/env",
            [
                "BATCHD_URL=http://127.0.0.1:\(stack.port)", "BATCHD_KEY=\(stack.clientKey)", "BATCHD_ADMIN_KEY=\(stack.adminKey)",
                "BATCHD_SPEC=\(TestStack.repositoryRoot)/Sources/BatchAPI/Contract/openapi.yaml",
                python, TestStack.repositoryRoot + "/Tests/IntegrationTests/Contract/check_contract.py",
            ], seconds: 300)
        #expect(output.contains(", 0 failures"), "\(output)")
    }

    /// schemathesis (PyPI, installed by deploy/test beside the validator) against the
    /// live stack with its own contract: every check, a fixed seed, examples, coverage,
    /// fuzzing and the contract's stateful links; a client key, then an operator key
    /// (whose run changes the tenant's limits). `diagnosticSleep` is left out: each call
    /// holds a request up to 30 s (tested on its own in StackTests).
    @Test func schemathesisFindsNoFailure() throws {
        guard let python = ProcessInfo.processInfo.environment["BATCHD_CONTRACT_PYTHON"] else {
            Issue.record("BATCHD_CONTRACT_PYTHON is not set: run the suite through deploy/test, which installs schemathesis")
            return
        }
        let schemathesis = (python as NSString).deletingLastPathComponent + "/schemathesis"
        let stack = try TestStack()
        defer { stack.stop() }
        let contract = TestStack.repositoryRoot + "/Tests/IntegrationTests/Contract"
        for (role, key) in [("client", stack.clientKey), ("operator", stack.adminKey)] {
            let output = try stack.run(
                "/usr/bin/env",
                [
                    "NO_COLOR=1", "SCHEMATHESIS_HOOKS=\(contract)/schemathesis_hooks.py", schemathesis, "--config-file",
                    contract + "/schemathesis.toml", "run",
                    TestStack.repositoryRoot + "/Sources/BatchAPI/Contract/openapi.yaml", "--url", "http://127.0.0.1:\(stack.port)",
                    "-H", "X-Api-Key: \(key)", "--checks", "all", "--seed", "20261202", "--max-examples", "20",
                    "--exclude-operation-id", "diagnosticSleep", "--generation-database", "none", "--no-color", "--report-dir",
                    stack.directory + "/schemathesis-\(role)",
                ], seconds: 240)
            let summary = output.split(separator: "\n").filter { $0.contains("generated") || $0.contains("Tested:") || $0.contains("Seed:") }
            print("schemathesis, \(role) key: \(summary.map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: "; "))")
            // run() has already thrown, with the report, if schemathesis exited non-zero.
            #expect(output.contains(" passed") && !output.contains("failure"), "\(output.suffix(6000))")
        }
    }

    /// The live `/metrics`, after some traffic, through prometheus_client's parser and
    /// the format's rules (`Contract/check_metrics.py`): typed families declared once,
    /// counters named `_total`, the latency histogram's buckets cumulative with +Inf
    /// equal to `_count`.
    @Test func metricsAreValidPrometheusText() throws {
        guard let python = ProcessInfo.processInfo.environment["BATCHD_CONTRACT_PYTHON"] else {
            Issue.record("BATCHD_CONTRACT_PYTHON is not set: run the suite through deploy/test, which installs prometheus_client")
            return
        }
        let stack = try TestStack()
        defer { stack.stop() }
        for _ in 0..<20 { _ = try stack.get("/v1/status", key: stack.clientKey) }
        _ = try stack.get("/v1/batches/batch-nope", key: stack.clientKey)
        let metrics = try stack.get("/metrics")
        #expect(metrics.status == 200)
        let file = stack.directory + "/metrics.txt"
        try Data(metrics.body).write(to: URL(fileURLWithPath: file))
        let output = try stack.run(python, [TestStack.repositoryRoot + "/Tests/IntegrationTests/Contract/check_metrics.py", file])
        #expect(output.contains("batchd_request_duration_seconds (histogram)"), "\(output)")
        let counted =
            metrics.text.split(separator: "\n").first { $0.hasPrefix("batchd_request_duration_seconds_count ") }
            .flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0
        #expect(counted >= 21, "requests counted: \(counted)")
    }
}
