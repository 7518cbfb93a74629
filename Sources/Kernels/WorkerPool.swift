import CKernels
import Dispatch
import Foundation
import Synchronization

/// Persistent compute threads that poll briefly for the next parallel loop before sleeping, so a
/// loop starts in microseconds instead of the fraction of a millisecond a thread wake-up costs
/// (much more on virtual machines). One loop runs on the pool at a time; a loop started while
/// the pool is busy (another caller, or a loop nested inside one) runs on Dispatch instead.
final class WorkerPool: @unchecked Sendable {
    static let shared = WorkerPool(threads: max(0, ComputeThreads.available - 1))

    /// One parallel loop: items 0..<count claimed one at a time by the caller (participant 0)
    /// and the helpers (1...helpers). Each participant starts on its own contiguous range of
    /// items, in order, and takes over half of another's remaining range once its own is done
    /// (`ck_work_ranges_claim`): neighbouring items (a Linear's next weight panels, which the
    /// kernel asks the cache for ahead) mostly run on the same core, and a core slowed down by
    /// the machine hands its remaining items to the others instead of holding up the loop.
    private final class Job: @unchecked Sendable {
        let count: Int
        let helpers: Int
        var body: ((Int) -> Void)?
        let ranges: UnsafeMutablePointer<UInt64>
        let finished = Atomic<Int>(0)
        let seats = Atomic<Int>(0)

        init(count: Int, helpers: Int, body: @escaping (Int) -> Void) {
            self.count = count
            self.helpers = helpers
            self.body = body
            ranges = .allocate(capacity: helpers + 1)
            ck_work_ranges_init(ranges, Int32(helpers + 1), Int32(count))
        }

        deinit { ranges.deallocate() }

        /// Runs items as participant `participant` until none is left.
        func work(as participant: Int) {
            while true {
                let i = Int(ck_work_ranges_claim(ranges, Int32(helpers + 1), Int32(participant)))
                if i < 0 { return }
                runItem(i)
                finished.add(1, ordering: .releasing)
            }
        }

        @inline(never)
        private func runItem(_ i: Int) { body.unsafelyUnwrapped(i) }
    }

    private let threads: Int
    private let running = Mutex<Bool>(false)
    private let generation = Atomic<Int>(0)
    /// Helpers the latest loop asked for: helpers numbered from there on sleep at once.
    private let lastHelpers = Atomic<Int>(0)
    private let slot = Mutex<Job?>(nil)
    private var mutex = pthread_mutex_t()
    private var wake = pthread_cond_t()
    private var sleepers = 0
    private var started = false
    /// Polls of a new loop before a helper sleeps (each a PAUSE plus an atomic load).
    private let spinPolls = 20_000

    private init(threads: Int) {
        self.threads = threads
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&wake, nil)
    }

    /// Runs body(i) for i in 0..<n on the caller and up to `helpers` pool threads; false when the
    /// pool is busy (the caller then runs the loop another way).
    func run(_ n: Int, helpers wanted: Int, _ body: (Int) -> Void) -> Bool {
        let helpers = min(wanted, threads)
        guard helpers > 0 else { return false }
        let acquired = running.withLock { busy -> Bool in
            if busy { return false }
            busy = true
            return true
        }
        guard acquired else { return false }
        defer { running.withLock { $0 = false } }
        startIfNeeded()
        withoutActuallyEscaping(body) { escapable in
            let job = Job(count: n, helpers: helpers, body: escapable)
            slot.withLock { $0 = job }
            lastHelpers.store(helpers, ordering: .relaxed)
            generation.add(1, ordering: .releasing)
            pthread_mutex_lock(&mutex)
            if sleepers > 0 { pthread_cond_broadcast(&wake) }
            pthread_mutex_unlock(&mutex)
            job.work(as: 0)
            var polls = 0
            while job.finished.load(ordering: .acquiring) < n {
                polls += 1
                if polls < spinPolls { ck_cpu_relax() } else { sched_yield() }
            }
            slot.withLock { $0 = nil }
            job.body = nil
        }
        return true
    }

    private func startIfNeeded() {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        guard !started else { return }
        started = true
        for index in 0..<threads {
            let thread = Thread { [self] in helperLoop(index) }
            thread.stackSize = 8 << 20
            thread.name = "titok-compute"
            thread.start()
        }
    }

    private func helperLoop(_ index: Int) {
        var seen = generation.load(ordering: .acquiring)
        while true {
            // Helpers the last loop did not use (fewer threads than cores) do not poll.
            var polls = index < lastHelpers.load(ordering: .relaxed) ? 0 : spinPolls
            var now = generation.load(ordering: .acquiring)
            while now == seen, polls < spinPolls {
                ck_cpu_relax()
                polls += 1
                now = generation.load(ordering: .acquiring)
            }
            if now == seen {
                pthread_mutex_lock(&mutex)
                sleepers += 1
                while generation.load(ordering: .acquiring) == seen { pthread_cond_wait(&wake, &mutex) }
                sleepers -= 1
                pthread_mutex_unlock(&mutex)
                now = generation.load(ordering: .acquiring)
            }
            seen = now
            guard let job = slot.withLock({ $0 }) else { continue }
            let seat = job.seats.add(1, ordering: .relaxed).oldValue
            if seat < job.helpers { job.work(as: seat + 1) }
        }
    }
}
