#pragma once
// The informer cache's encoding of one API object: MessagePack, deflated against a
// dictionary. Objects of one kind share their keys and much of their values (two
// CronJobs of the operator differ in a name, a schedule and a uid), so with the first
// object a cache saw as the dictionary an object packs to a fraction of its size: a
// Deployment of 2 KiB of JSON to a few hundred bytes, where a parsed tree takes 20 KiB.
//
// Not thread-safe to set the dictionary; pack() and unpack() are otherwise reentrant
// (each thread keeps its own zlib streams). The Store serialises as it needs.
#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

namespace pmo::runtime {

class ObjectPacker {
 public:
  // The first call also makes the object (its MessagePack) the dictionary for all later ones.
  std::vector<std::uint8_t> pack(const nlohmann::json& object);
  // Throws std::runtime_error on bytes pack() did not produce.
  nlohmann::json unpack(const std::vector<std::uint8_t>& packed) const;

 private:
  std::vector<std::uint8_t> dictionary_;
};

}  // namespace pmo::runtime
