import Checkpoint
import FuzzSupport

// libFuzzer target for the torch-zip reader. Build and run: scripts/fuzz.sh torch-zip SECONDS (docs/fuzzing.md).
// Built normally (no -DFUZZING) it replays the files named on the command line.
@main
enum Fuzz {
    static func main() {
        #if FUZZING
        FuzzHarness.runLibFuzzer(format: .torchZip)
        #else
        FuzzHarness.replay(CommandLine.arguments, format: .torchZip)
        #endif
    }
}
