#pragma once
// FNV-1a: a stable digest for names and keys (stable across builds and platforms, which
// std::hash is not). Not a security boundary.
#include <cstdint>
#include <string>

namespace pmo {

inline std::uint32_t fnv1a32(const std::string& s) {
  std::uint32_t h = 2166136261u;
  for (unsigned char c : s) {
    h ^= c;
    h *= 16777619u;
  }
  return h;
}

inline std::uint64_t fnv1a64(const std::string& s) {
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace pmo
