// Reads any object of a ROOT file through the file's streamer infos alone (no dictionary of
// its class): walks the emulated object ROOT builds, member by member, and writes JSON.
#include <TClass.h>
#include <TFile.h>
#include <TKey.h>
#include <TStreamerElement.h>
#include <TStreamerInfo.h>
#include <TVirtualCollectionProxy.h>
#include <sstream>
#include <string>

namespace qcflow_test {
inline std::string quote(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string walk(void* obj, TClass* cl);

inline std::string item(void* addr, TClass* cl) {
  if (!cl) return "null";
  if (std::string(cl->GetName()) == "string") return quote(*static_cast<std::string*>(addr));
  return walk(addr, cl);
}

inline std::string collection(void* addr, TClass* cl) {
  TVirtualCollectionProxy* proxy = cl->GetCollectionProxy();
  TVirtualCollectionProxy::TPushPop helper(proxy, addr);
  std::ostringstream out;
  out << "[";
  for (UInt_t i = 0; i < proxy->Size(); ++i) {
    out << (i ? "," : "") << item(proxy->At(i), proxy->GetValueClass());
  }
  out << "]";
  return out.str();
}

inline std::string member(char* addr, TStreamerElement* el) {
  if (el->IsA() == TStreamerSTLstring::Class()) return quote(*reinterpret_cast<std::string*>(addr));
  if (el->IsA() == TStreamerSTL::Class()) return collection(addr, el->GetClassPointer());
  if (el->IsA() == TStreamerObjectAny::Class() || el->IsA() == TStreamerObject::Class())
    return walk(addr, el->GetClassPointer());
  std::ostringstream out;
  switch (el->GetType()) {
    case 3: out << *reinterpret_cast<int*>(addr); break;
    case 12: out << *reinterpret_cast<unsigned short*>(addr); break;
    case 13: out << *reinterpret_cast<unsigned int*>(addr); break;
    case 14: out << *reinterpret_cast<unsigned long*>(addr); break;
    case 18: out << (*reinterpret_cast<bool*>(addr) ? "true" : "false"); break;
    default: out << "\"unsupported type " << el->GetType() << "\"";
  }
  return out.str();
}

inline std::string walk(void* obj, TClass* cl) {
  auto* info = static_cast<TStreamerInfo*>(cl->GetStreamerInfo());
  std::ostringstream out;
  out << "{";
  bool first = true;
  TIter next(info->GetElements());
  while (auto* el = static_cast<TStreamerElement*>(next())) {
    if (el->IsBase()) continue;
    out << (first ? "" : ",") << quote(el->GetName()) << ":"
        << member(static_cast<char*>(obj) + el->GetOffset(), el);
    first = false;
  }
  out << "}";
  return out.str();
}

inline std::string read(const char* path, const char* key) {
  TFile file(path);
  TKey* k = file.GetKey(key);
  TClass* cl = TClass::GetClass(k->GetClassName());
  void* obj = k->ReadObjectAny(cl);
  std::string json = walk(obj, cl);
  return "{\"loaded\":" + std::string(cl->IsLoaded() ? "true" : "false") + ",\"object\":" + json + "}";
}
}  // namespace qcflow_test
