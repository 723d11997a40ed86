// Stand-ins for QC's persistent classes, written for qcflow's tests from the facts in
// shared/spec/ccdb-api.md: class names, persistent members and class versions as QC declares
// them (what ROOT streams), nothing else. Compiled with ACLiC so ROOT can stream them.
#include <TObject.h>
#include <Rtypes.h>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace o2 {
namespace math_utils {
namespace detail {
template <typename T = float>
class Bracket {
 public:
  T mMin{};
  T mMax{};
  ClassDefNV(Bracket, 2);
};
}  // namespace detail
}  // namespace math_utils

namespace quality_control {
class FlagType {
 public:
  uint16_t mId = 0;
  std::string mName;
  bool mBad = false;
  ClassDefNV(FlagType, 1);
};

namespace core {
class Quality {
 public:
  virtual ~Quality() = default;
  unsigned int mLevel = 10;
  std::string mName = "Null";
  std::map<std::string, std::string> mUserMetadata;
  std::vector<std::pair<o2::quality_control::FlagType, std::string>> mFlags;
  ClassDef(Quality, 3);
};

class Activity {
 public:
  virtual ~Activity() = default;
  int mId = 0;
  std::string mType = "NONE";
  std::string mPeriodName;
  std::string mPassName;
  std::string mProvenance = "qc";
  o2::math_utils::detail::Bracket<uint64_t> mValidity;
  std::string mBeamType;
  std::string mPartitionName;
  int mFillNumber = 0;
  int mOriginalId = 0;
  ClassDef(Activity, 6);
};

class QualityObject : public TObject {
 public:
  Quality mQuality;
  std::string mCheckName;
  std::string mDetectorName;
  std::string mPolicyName;
  std::vector<std::string> mInputs;
  std::vector<std::string> mMonitorObjectsNames;
  Activity mActivity;
  ClassDefOverride(QualityObject, 7);
};
}  // namespace core
}  // namespace quality_control
}  // namespace o2
