#include "runtime/packed_object.hpp"

#include <zlib.h>

#include <stdexcept>

namespace pmo::runtime {
namespace {

// Raw deflate (no zlib header: the dictionary is implied), an 8 KiB window (objects and
// the dictionary fit; the state stays small) and memLevel 5.
constexpr int kWindowBits = -13;
constexpr int kMemLevel = 5;
constexpr std::size_t kMaxDictionary = 8192;
constexpr std::uint8_t kRaw = 0, kDeflated = 1;  // first byte of a packed object

struct Deflater {
  z_stream z{};
  Deflater() {
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, kWindowBits, kMemLevel, Z_DEFAULT_STRATEGY) != Z_OK)
      throw std::runtime_error("zlib: deflateInit2 failed");
  }
  ~Deflater() { deflateEnd(&z); }
};

struct Inflater {
  z_stream z{};
  Inflater() {
    if (inflateInit2(&z, kWindowBits) != Z_OK) throw std::runtime_error("zlib: inflateInit2 failed");
  }
  ~Inflater() { inflateEnd(&z); }
};

void putSize(std::vector<std::uint8_t>& out, std::uint32_t n) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(n >> (8 * i)));
}

std::uint32_t getSize(const std::vector<std::uint8_t>& in) {
  std::uint32_t n = 0;
  for (int i = 0; i < 4; ++i) n |= static_cast<std::uint32_t>(in[1 + i]) << (8 * i);
  return n;
}

}  // namespace

std::vector<std::uint8_t> ObjectPacker::pack(const nlohmann::json& object) {
  std::vector<std::uint8_t> raw = nlohmann::json::to_msgpack(object);
  if (dictionary_.empty()) {
    const std::size_t n = std::min(raw.size(), kMaxDictionary);
    dictionary_.assign(raw.end() - static_cast<std::ptrdiff_t>(n), raw.end());
  }
  thread_local Deflater d;
  deflateReset(&d.z);
  deflateSetDictionary(&d.z, dictionary_.data(), static_cast<uInt>(dictionary_.size()));
  std::vector<std::uint8_t> out;
  out.reserve(5 + deflateBound(&d.z, static_cast<uLong>(raw.size())));
  out.push_back(kDeflated);
  putSize(out, static_cast<std::uint32_t>(raw.size()));
  const std::size_t header = out.size();
  out.resize(out.capacity());
  d.z.next_in = raw.data();
  d.z.avail_in = static_cast<uInt>(raw.size());
  d.z.next_out = out.data() + header;
  d.z.avail_out = static_cast<uInt>(out.size() - header);
  if (deflate(&d.z, Z_FINISH) != Z_STREAM_END || d.z.total_out >= raw.size()) {
    raw.insert(raw.begin(), kRaw);  // incompressible (or zlib trouble): keep it as it is
    raw.shrink_to_fit();
    return raw;
  }
  out.resize(header + d.z.total_out);
  out.shrink_to_fit();
  return out;
}

nlohmann::json ObjectPacker::unpack(const std::vector<std::uint8_t>& packed) const {
  if (packed.empty()) throw std::runtime_error("packed object: empty");
  if (packed[0] == kRaw) return nlohmann::json::from_msgpack(packed.begin() + 1, packed.end());
  if (packed[0] != kDeflated || packed.size() < 5) throw std::runtime_error("packed object: unknown encoding");
  thread_local Inflater i;
  inflateReset(&i.z);
  inflateSetDictionary(&i.z, dictionary_.data(), static_cast<uInt>(dictionary_.size()));
  std::vector<std::uint8_t> raw(getSize(packed));
  i.z.next_in = const_cast<Bytef*>(packed.data() + 5);  // zlib's API is not const-correct
  i.z.avail_in = static_cast<uInt>(packed.size() - 5);
  i.z.next_out = raw.data();
  i.z.avail_out = static_cast<uInt>(raw.size());
  if (inflate(&i.z, Z_FINISH) != Z_STREAM_END || i.z.total_out != raw.size())
    throw std::runtime_error("packed object: corrupt deflate stream");
  return nlohmann::json::from_msgpack(raw);
}

}  // namespace pmo::runtime
