/* The anchor of scripts/bench/allreduce.sh: in-place float32 MPI_Allreduce called directly from C (what
 * mpi-selftest bench times through the Swift Communicator), same sizes, repetitions and variants:
 * "one-call" (one MPI_Allreduce per buffer) and "chunked-4MiB" (4 MiB slices). Prints JSON lines on rank 0;
 * each time is the slowest rank's mean. Build: mpicc -O2 allreduce_anchor.c -o allreduce_anchor */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

static void reduce(float *buffer, long count, long chunk) {
    for (long start = 0; start < count; start += chunk) {
        long n = count - start < chunk ? count - start : chunk;
        MPI_Allreduce(MPI_IN_PLACE, buffer + start, (int)n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    }
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    const int megabytes[3] = {1, 25, 100}, reps[3] = {200, 20, 8};
    for (int s = 0; s < 3; s++) {
        long count = (long)megabytes[s] * 1000000 / 4;
        float *buffer = malloc(count * sizeof(float));
        const char *names[2] = {"chunked-4MiB", "one-call"};
        long chunks[2] = {(4 << 20) / 4, count};
        for (int v = 0; v < 2; v++) {
            for (long i = 0; i < count; i++) buffer[i] = 1.0f;
            reduce(buffer, count, chunks[v]);  /* warm-up */
            MPI_Barrier(MPI_COMM_WORLD);
            double start = MPI_Wtime();
            for (int r = 0; r < reps[s]; r++) reduce(buffer, count, chunks[v]);
            double mine = (MPI_Wtime() - start) / reps[s], slowest;
            MPI_Allreduce(&mine, &slowest, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
            if (rank == 0)
                printf("{\"bench\":\"allreduce\",\"GBps\":%.4f,\"megabytes\":%d,\"ms\":%.4f,\"ranks\":%d,\"variant\":\"%s\"}\n",
                       count * 4.0 / slowest / 1e9, megabytes[s], slowest * 1e3, size, names[v]);
        }
        free(buffer);
    }
    MPI_Finalize();
    return 0;
}
