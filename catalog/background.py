"""Work a request leaves to a thread of its own process, done a moment later for all the requests of that moment.

A web request that only needs something written soon (a kept check, the audit trail's seal) wakes its process's
thread instead of writing in the request: the request answers sooner, and the writes of a busy moment are done
together (one transaction, one round trip). One thread per process and kind, started on first use, again in a
forked child (threads do not survive a fork: gunicorn's preloaded workers); it has its own database connection.
What is pending when a process ends unexpectedly is lost, as a commit in flight would be: each kind says what
that costs and what takes it up (docs/performance.md).
"""

import abc
import atexit
import logging
import os
import threading

logger = logging.getLogger(__name__)


class ProcessThread(abc.ABC):
    """Subclasses define `work()`, run a moment (`delay` seconds) after `wake()`, and `name`. The key is the
    database alias the thread works on."""

    name = "background"
    _each: dict = {}  # (class, key) → the thread of this process
    _guard = threading.Lock()
    _at_exit = 0  # the process that registered stop_all at its exit
    ROUNDS_AT_STOP = 20  # work() asking for more when stopping: at most this many rounds, without waiting

    def __init__(self, key: str):
        self.key = key
        self.pid = os.getpid()
        self.due = threading.Event()
        self.delay = 0.0
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name=f"{self.name}-{key}", daemon=True)
        self.thread.start()
        if ProcessThread._at_exit != self.pid:  # a process that ends normally does what is pending first
            ProcessThread._at_exit = self.pid
            atexit.register(ProcessThread.stop_all)

    @classmethod
    def of_this_process(cls, key: str = "default"):
        """The process's thread of this kind, started on its first use (and again in a forked child)."""
        found = ProcessThread._each.get((cls, key))
        if found is None or found.pid != os.getpid() or not found.thread.is_alive():
            with ProcessThread._guard:
                found = ProcessThread._each.get((cls, key))
                if found is None or found.pid != os.getpid() or not found.thread.is_alive():
                    found = ProcessThread._each[(cls, key)] = cls(key)
        return found

    def wake(self, delay: float) -> None:
        self.delay = delay
        self.due.set()

    @classmethod
    def stop_all(cls) -> None:
        """Do what is pending, close the threads' connections and end them (this kind and its subclasses; a
        test's database is about to be emptied or dropped, or the process is ending)."""
        with ProcessThread._guard:
            mine = [key for key in ProcessThread._each if issubclass(key[0], cls)]
            threads = [ProcessThread._each.pop(key) for key in mine]
        for each in threads:
            each.stopped.set()
            each.due.set()
            each.thread.join(timeout=10)

    @abc.abstractmethod
    def work(self) -> bool:
        """Do what is due; True asks to be run again after the delay (a lock was taken, say)."""

    def _run(self) -> None:
        from django.db import connections

        while True:
            self.due.wait()
            self.stopped.wait(self.delay)  # what the next moment's requests leave joins this round (a stop: at once)
            self.due.clear()  # a wake from here on asks for the next round: nothing left is forgotten
            # Stopping: again while there is more to do (a batch at a time), a bounded number of times.
            stopping = self.stopped.is_set()
            for _ in range(self.ROUNDS_AT_STOP if stopping else 1):
                try:
                    connections[self.key].close_if_unusable_or_obsolete()
                    more = self.work()
                except Exception:  # never let the thread die: the next wake tries again
                    logger.exception("%s failed", self.name)
                    more = False
                if not more:
                    break
                if not self.stopped.is_set():
                    self.due.set()
            if stopping:  # a stop asked during an ordinary round is seen by the next (stop_all sets `due` too)
                self.stopped_with_work_left()
                connections.close_all()
                return

    def stopped_with_work_left(self) -> None:
        """Called last when stopping: say what could not be done (a kind that keeps work overrides it)."""
        logger.debug("%s stopped", self.name)
