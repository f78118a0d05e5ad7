import Testing
import TestSupport

@Suite struct ProcessSpawnFixTests {
    @Test("the test runner's malloc is set so that Foundation's Process.run() cannot over-read into an unmapped page")
    func applied() {
        #expect(ProcessSpawnFix.isApplied)
    }
}
