#include "tessera/core/sha256.h"

#include <gtest/gtest.h>

#include "test_files.h"

namespace tessera {
namespace {

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(Sha256Hex(std::string(1000000, 'a')), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, PiecesEqualTheWhole) {
  std::string text;
  for (int i = 0; i < 5000; ++i) text += static_cast<char>(i * 7 % 251);
  Sha256 h;
  for (size_t at = 0, step = 1; at < text.size(); at += step, step = step % 97 + 3)
    h.Update(text.substr(at, std::min(step, text.size() - at)));
  EXPECT_EQ(h.Finish(), Sha256Hex(text));
  testing::TempDir dir;
  dir.Write("f.bin", text);
  auto file = Sha256File(dir.Path("f.bin"));
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(file.value(), Sha256Hex(text));
  EXPECT_FALSE(Sha256File(dir.Path("missing")).ok());
}

}  // namespace
}  // namespace tessera
