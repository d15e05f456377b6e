#include "runtime/packed_object.hpp"

#include <gtest/gtest.h>

#include "support/fixtures.hpp"

namespace pmo::runtime {
namespace {

using Json = nlohmann::json;

Json fixture(const char* name) { return pmo::testing::loadFixture(name); }

TEST(ObjectPacker, RoundTripsObjectsOfTheKindAndOfOthers) {
  ObjectPacker packer;
  const Json backend = fixture("phase_backend_deployment.json");
  const Json worker = fixture("phase_worker_deployment.json");
  const Json odd = {{"metadata", {{"name", "ü"}}}, {"n", -1.5}, {"big", 1ULL << 63}, {"nil", nullptr}, {"a", Json::array()}};
  for (const Json& o : {backend, worker, odd, Json::object()}) EXPECT_EQ(packer.unpack(packer.pack(o)), o);
}

TEST(ObjectPacker, AnObjectLikeTheFirstPacksToAFractionOfItsMessagePack) {
  ObjectPacker packer;
  Json first = fixture("phase_backend_deployment.json");
  packer.pack(first);
  Json second = first;
  second["metadata"]["name"] = "tenant-7-backend";
  second["metadata"]["uid"] = "0b8e2c1a-5d0c-4f57-9d1e-6b3f2a9c7e41";
  second["metadata"]["resourceVersion"] = "48213";
  const auto packed = packer.pack(second);
  const auto msgpack = Json::to_msgpack(second);
  EXPECT_LT(packed.size() * 5, msgpack.size()) << packed.size() << " bytes packed vs " << msgpack.size();
  EXPECT_EQ(packer.unpack(packed), second);
}

TEST(ObjectPacker, RefusesBytesItDidNotProduce) {
  ObjectPacker packer;
  auto packed = packer.pack(fixture("phase_backend_deployment.json"));
  EXPECT_THROW(packer.unpack({}), std::runtime_error);
  EXPECT_THROW(packer.unpack({7, 1, 2}), std::runtime_error);
  packed.resize(packed.size() / 2);
  EXPECT_THROW(packer.unpack(packed), std::runtime_error);
}

}  // namespace
}  // namespace pmo::runtime
