#pragma once
// `format` of custom-resource strings as kube-apiserver 1.32 checks it: only the formats
// apiextensions-apiserver keeps (pkg/apiserver/validation/formats.go, supportedFormats;
// names compared without dashes, so "date-time" is "datetime"); any other format is
// stripped from the schema and never checked. Each check ports the validator of
// k8s.io/kube-openapi/pkg/validation/strfmt's default registry (and the asaskevich/
// govalidator, net and time functions it calls).
#include <string>

namespace pmo::sandbox::formats {

enum class Check { Valid, Invalid, Unimplemented };

// True when kube-apiserver validates strings of this format.
bool supported(const std::string& format);
// The check of a supported format. Unimplemented: formats whose Go parser (net/mail for
// email, net/url for uri) the sandbox does not reproduce; the caller refuses explicitly.
Check check(const std::string& format, const std::string& value);

}  // namespace pmo::sandbox::formats
