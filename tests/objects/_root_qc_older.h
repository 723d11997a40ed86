// A smaller layout of QC's classes, for qcflow's test that its reader follows a file's streamer
// infos: QualityObject v6 with mPolicy and mMonitorObjects, Quality v2 without flags, Activity
// v3 with an integer run type and no partition, fill or original run number. Made up for the
// test from the v7 layout of _root_qc.h (not any particular older QC). Compiled with ACLiC.
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
  ClassDef(Quality, 2);
};

class Activity {
 public:
  virtual ~Activity() = default;
  int mId = 0;
  int mType = 0;
  std::string mPeriodName;
  std::string mPassName;
  std::string mProvenance = "qc";
  o2::math_utils::detail::Bracket<uint64_t> mValidity;
  std::string mBeamType;
  ClassDef(Activity, 3);
};

class QualityObject : public TObject {
 public:
  Quality mQuality;
  std::string mCheckName;
  std::string mDetectorName;
  std::string mPolicy;
  std::vector<std::string> mInputs;
  std::vector<std::string> mMonitorObjects;
  Activity mActivity;
  ClassDefOverride(QualityObject, 6);
};
}  // namespace core
}  // namespace quality_control
}  // namespace o2
