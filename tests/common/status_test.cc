#include "common/status.h"

#include <gtest/gtest.h>

namespace ember {
namespace {

Status FailsWith(StatusCode code) { return Status(code, "boom"); }

Status Chain(StatusCode code) {
  RETURN_IF_ERROR(FailsWith(code));
  return Status::Internal("not reached");
}

StatusOr<int> Half(int x) {
  if (x % 2 != 0) return Status::InvalidArgument("odd: ", x);
  return x / 2;
}

Status UseHalf(int x, int* out) {
  ASSIGN_OR_RETURN(*out, Half(x));
  return Status::OK();
}

TEST(StatusTest, OkIsDefaultAndPrintsOk) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.ToString(), "OK");
}

TEST(StatusTest, FactoriesConcatenateArguments) {
  Status s = Status::NotFound("table ", 3, " key ", 42u);
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.ToString(), "NotFound: table 3 key 42");
  EXPECT_EQ(s.WithContext("pull").message(), "pull: table 3 key 42");
}

TEST(StatusTest, ReturnIfErrorPropagates) { EXPECT_EQ(Chain(StatusCode::kDataLoss).code(), StatusCode::kDataLoss); }

TEST(StatusTest, StatusOrHoldsValueOrError) {
  int out = 0;
  EXPECT_TRUE(UseHalf(8, &out).ok());
  EXPECT_EQ(out, 4);
  Status bad = UseHalf(7, &out);
  EXPECT_EQ(bad.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.message(), "odd: 7");
  StatusOr<int> from_ok = Status::OK();
  EXPECT_EQ(from_ok.status().code(), StatusCode::kInternal);
}

}  // namespace
}  // namespace ember
