import Checkpoint
import FuzzSupport

// libFuzzer target for the mindspore reader. Build and run: scripts/fuzz.sh mindspore SECONDS (docs/fuzzing.md).
// Built normally (no -DFUZZING) it replays the files named on the command line.
@main
enum Fuzz {
    static func main() {
        #if FUZZING
        FuzzHarness.runLibFuzzer(format: .mindspore)
        #else
        FuzzHarness.replay(CommandLine.arguments, format: .mindspore)
        #endif
    }
}
