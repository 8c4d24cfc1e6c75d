import Checkpoint
import FuzzSupport

// libFuzzer target for the hdf5 reader. Build and run: scripts/fuzz.sh hdf5 SECONDS (docs/fuzzing.md).
// Built normally (no -DFUZZING) it replays the files named on the command line.
@main
enum Fuzz {
    static func main() {
        #if FUZZING
        FuzzHarness.runLibFuzzer(format: .hdf5)
        #else
        FuzzHarness.replay(CommandLine.arguments, format: .hdf5)
        #endif
    }
}
