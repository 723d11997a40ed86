// Stand-ins for QC's mergeable ratio histograms, written for qcflow's tests from the facts in
// issue 18 and QC's public headers: class names, bases, persistent members and class versions
// (what ROOT streams), nothing else. Compiled with ACLiC so ROOT can stream them.
#include <TH1F.h>
#include <TH1D.h>
#include <TH2F.h>
#include <TH2D.h>
#include <Rtypes.h>
#include <string>

namespace o2 {
namespace mergers {
class MergeInterface {
 public:
  virtual ~MergeInterface() = default;
  ClassDef(MergeInterface, 0);
};
}  // namespace mergers
namespace quality_control_modules {
namespace common {
template <class T>
class TH2Ratio : public T, public o2::mergers::MergeInterface {
 public:
  T* mHistoNum{nullptr};
  T* mHistoDen{nullptr};
  bool mUniformScaling{true};
  bool mBinominalErrors{false};
  Bool_t mSumw2Enabled{kTRUE};
  std::string mTreatMeAs{T::Class_Name()};
  ClassDefOverride(TH2Ratio, 3);
};
template <class T>
class TH1Ratio : public T, public o2::mergers::MergeInterface {
 public:
  T* mHistoNum{nullptr};
  T* mHistoDen{nullptr};
  bool mUniformScaling{true};
  bool mBinominalErrors{false};
  Bool_t mSumw2Enabled{kTRUE};
  std::string mTreatMeAs{T::Class_Name()};
  ClassDefOverride(TH1Ratio, 3);
};
}  // namespace common
}  // namespace quality_control_modules
}  // namespace o2

#ifdef __ROOTCLING__
#pragma link C++ class o2::mergers::MergeInterface+;
#pragma link C++ class o2::quality_control_modules::common::TH2Ratio<TH2F>+;
#pragma link C++ class o2::quality_control_modules::common::TH2Ratio<TH2D>+;
#pragma link C++ class o2::quality_control_modules::common::TH1Ratio<TH1F>+;
#pragma link C++ class o2::quality_control_modules::common::TH1Ratio<TH1D>+;
#endif
