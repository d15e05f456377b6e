#pragma once
// Background garbage collection and the namespace and CRD cleanup controllers.
//
// Guarantees (as kube-controller-manager's garbage collector): an object whose every owner
// (by ownerReferences uid) is gone is deleted with background propagation; an owner deleted
// with propagationPolicy=Orphan has the ownerReferences to it removed from its dependents
// before it goes; one deleted with Foreground goes after its dependents. A deleted namespace
// loses all its objects (each finalizer respected) and then goes; a deleted CRD loses all
// its custom resources and then goes (and stops being served).
#include <thread>

#include "sandbox/world.hpp"

namespace pmo::sandbox {

class GarbageCollector {
 public:
  explicit GarbageCollector(World& w);
  ~GarbageCollector();
  void start();
  void stop();

 private:
  void run();
  bool pass();  // one sweep under the store lock; true when it changed something
  World& w_;
  std::thread thread_;
  bool stop_ = false;  // guarded by the store mutex
};

}  // namespace pmo::sandbox
