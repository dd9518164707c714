// Package bench measures sessionkit against bare Gin and its peers
// (gin-contrib/sessions' cookie, memstore and redis stores; scs v2's memstore
// and redisstore) in one run on one machine. It is a module of its own so
// that the peers never enter the library's go.mod; a replace directive makes
// it measure the sessionkit of the checkout it sits in.
//
// The benchmarks live in the package's tests:
//
//   - BenchmarkServe: one request, read or write, per contender;
//   - BenchmarkServeParallel: the read requests from many goroutines, each with
//     its own session (run with -cpu 1,2 to see whether they scale);
//   - BenchmarkRedisGet and BenchmarkRedisGetParallel: a raw go-redis GET,
//     the round-trip floor of every Redis contender;
//   - BenchmarkHeapPerSession: live heap per idle session holding one short
//     string (the 1,000,000-session cases are skipped under -short);
//   - BenchmarkSweep: read latency while a sweep removes a wave of expired
//     sessions (a smaller wave under -short).
//
// Single runs are noisy on a shared machine; cmd/benchrounds runs the suite
// as interleaved rounds and prints medians of ratios taken within a round.
// See BENCHMARKS.md at the repository root for the latest results.
//
// Redis contenders use REDIS_URL when it is set, or else a private
// redis-server started on a free loopback port for the test process. Without
// a redis-server binary they skip, or fail when SESSION_REQUIRE_REDIS=1.
package bench
