import Checkpoint
import FuzzSupport

// libFuzzer target for the torch-legacy reader. Build and run: scripts/fuzz.sh torch-legacy SECONDS (docs/fuzzing.md).
// Built normally (no -DFUZZING) it replays the files named on the command line.
@main
enum Fuzz {
    static func main() {
        #if FUZZING
        FuzzHarness.runLibFuzzer(format: .torchLegacy)
        #else
        FuzzHarness.replay(CommandLine.arguments, format: .torchLegacy)
        #endif
    }
}
