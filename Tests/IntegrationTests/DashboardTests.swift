import Foundation
import TestSupport
import Testing

/// The dashboard (nginx/dashboard, served by nginx) in a real browser:
/// Tests/IntegrationTests/Dashboard/check_dashboard.py drives Debian's headless
/// chromium through Debian's chromedriver with Selenium (from PyPI, in the contract
/// tests' virtual environment) against a live stack. It signs in, watches a running
/// batch move, pauses, resumes and cancels, downloads results, creates a batch from a
/// dropped CSV, changes a TTL and revokes a key as an operator, checks that a hostile
/// batch name renders as text and that no page logs a console error, and reads nginx's
/// access log to check that the pages' polls wait `cache_remaining` and `Retry-After`
/// and stop while the tab is hidden. Screenshots of every page at 390 and 1440 px go
/// to .build/dashboard-screenshots.
@Suite(.serialized) struct DashboardTests {
    @Test func theDashboardWorksInARealBrowser() throws {
        guard let python = ProcessInfo.processInfo.environment["BATCHD_CONTRACT_PYTHON"] else {
            Issue.record("BATCHD_CONTRACT_PYTHON is not set: run the suite through deploy/test, which installs Selenium and chromium")
            return
        }
        var options = TestStack.Options()
        options.processors = #"""
            {"exec": {"slow": {"command": ["/bin/sh", "-c", "cat > /dev/null; sleep 0.25; echo '{}'"]},
                      "fail": {"command": ["/bin/sh", "-c", "cat > /dev/null; echo broken >&2; exit 3"]}}}
            """#
        options.extraArguments = ["--scheduler-workers", "4"]
        let stack = try TestStack(options)
        defer { stack.stop() }
        let screenshots = TestStack.repositoryRoot + "/.build/dashboard-screenshots"
        let output = try stack.run(
            "/usr/bin/env",
            [
                "BATCHD_URL=http://127.0.0.1:\(stack.port)", "BATCHD_ADMIN_KEY=\(stack.adminKey)",
                "BATCHD_ACCESS_LOG=\(stack.logDirectory)/nginx-access.log", "BATCHD_SCREENSHOTS=\(screenshots)",
                "BATCHD_DOWNLOADS=\(stack.directory)/downloads", "HOME=\(stack.directory)",
                python, TestStack.repositoryRoot + "/Tests/IntegrationTests/Dashboard/check_dashboard.py",
            ], seconds: 300)
        #expect(output.contains(" checks, 0 failures"), "\(output)")
    }
}
