import Checkpoint
import FuzzSupport

// libFuzzer target for the safetensors reader. Build and run: scripts/fuzz.sh safetensors SECONDS (docs/fuzzing.md).
// Built normally (no -DFUZZING) it replays the files named on the command line.
@main
enum Fuzz {
    static func main() {
        #if FUZZING
        FuzzHarness.runLibFuzzer(format: .safetensors)
        #else
        FuzzHarness.replay(CommandLine.arguments, format: .safetensors)
        #endif
    }
}
