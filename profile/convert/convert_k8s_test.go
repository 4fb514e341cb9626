package convert

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/tailorsec/tailor/profile/profiledir"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	kjson "k8s.io/apimachinery/pkg/runtime/serializer/json"
	"sigs.k8s.io/yaml"
)

// spoSeccompProfileMirror mirrors the security-profiles-operator's
// SeccompProfile (api/seccompprofile/v1beta1, v0.9): the upstream module
// is not imported (it drags in controller-runtime, cosign and cloud SDKs,
// and the checksum database does not know it), so the test decodes into a
// copy of its exported fields, strictly, as the API server would.
type spoSeccompProfileMirror struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              struct {
		Disabled         bool     `json:"disabled,omitempty"`
		BaseProfileName  string   `json:"baseProfileName,omitempty"`
		DefaultAction    string   `json:"defaultAction"`
		Architectures    []string `json:"architectures,omitempty"`
		ListenerPath     string   `json:"listenerPath,omitempty"`
		ListenerMetadata string   `json:"listenerMetadata,omitempty"`
		Syscalls         []*struct {
			Names    []string `json:"names"`
			Action   string   `json:"action"`
			ErrnoRet uint     `json:"errnoRet,omitempty"`
			Args     []*struct {
				Index    uint   `json:"index"`
				Value    uint64 `json:"value,omitempty"`
				ValueTwo uint64 `json:"valueTwo,omitempty"`
				Op       string `json:"op"`
			} `json:"args,omitempty"`
		} `json:"syscalls,omitempty"`
		Flags []string `json:"flags,omitempty"`
	} `json:"spec,omitempty"`
	Status struct {
		Path             string `json:"path,omitempty"`
		LocalhostProfile string `json:"localhostProfile,omitempty"`
	} `json:"status,omitempty"`
}

func (p *spoSeccompProfileMirror) DeepCopyObject() runtime.Object {
	b, _ := json.Marshal(p)
	var c spoSeccompProfileMirror
	json.Unmarshal(b, &c)
	return &c
}

var spoGroupVersion = schema.GroupVersion{Group: "security-profiles-operator.x-k8s.io", Version: "v1beta1"}

func TestK8sOutputDecodesStrictly(t *testing.T) {
	scheme := runtime.NewScheme()
	scheme.AddKnownTypeWithName(spoGroupVersion.WithKind("SeccompProfile"), &spoSeccompProfileMirror{})
	strict := kjson.NewSerializerWithOptions(kjson.DefaultMetaFactory, scheme, scheme, kjson.SerializerOptions{Yaml: true, Strict: true})

	web := loadTestProfile(t, "testdata/diff/v1/web")
	out, err := K8s([]*profiledir.Profile{web}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	docs := strings.Split(string(out), "\n---\n")
	if len(docs) != 3 { // header, profile, pod spec
		t.Fatalf("%d documents:\n%s", len(docs), out)
	}
	obj, gvk, err := strict.Decode([]byte(docs[1]), nil, nil)
	if err != nil {
		t.Fatalf("SeccompProfile does not decode strictly: %v\n%s", err, docs[1])
	}
	sp := obj.(*spoSeccompProfileMirror)
	if gvk.Kind != "SeccompProfile" || sp.Name != "web" || sp.Spec.DefaultAction != "SCMP_ACT_ERRNO" || len(sp.Spec.Syscalls) == 0 {
		t.Errorf("decoded %v %+v", gvk, sp)
	}
	masked := false
	for _, s := range sp.Spec.Syscalls {
		for _, a := range s.Args {
			masked = masked || a.Op == "SCMP_CMP_MASKED_EQ" && a.Value == 0x7E020000
		}
	}
	if !masked {
		t.Error("clone's masked argument rule is lost")
	}
	// A field the CRD does not have is refused: the decoding is strict.
	if _, _, err := strict.Decode([]byte(docs[1]+"\n  bogus: 1\n"), nil, nil); err == nil {
		t.Error("strict decoding accepted an unknown field")
	}

	var spec corev1.PodSpec
	if err := yaml.UnmarshalStrict([]byte(docs[2]), &spec); err != nil {
		t.Fatalf("pod spec fragment does not decode into core/v1 PodSpec: %v\n%s", err, docs[2])
	}
	c := spec.Containers[0]
	sc := c.SecurityContext
	switch {
	case c.Name != "web",
		sc.Capabilities == nil || len(sc.Capabilities.Drop) != 1 || sc.Capabilities.Drop[0] != "ALL",
		len(sc.Capabilities.Add) != 2 || sc.Capabilities.Add[0] != "NET_BIND_SERVICE",
		sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeLocalhost || *sc.SeccompProfile.LocalhostProfile != "operator/web.json",
		sc.AppArmorProfile == nil || sc.AppArmorProfile.Type != corev1.AppArmorProfileTypeLocalhost || *sc.AppArmorProfile.LocalhostProfile != "tailor-web",
		sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation,
		sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem,
		len(c.VolumeMounts) != 1 || c.VolumeMounts[0].MountPath != "/run",
		len(spec.Volumes) != 1 || spec.Volumes[0].EmptyDir == nil || spec.Volumes[0].EmptyDir.Medium != corev1.StorageMediumMemory:
		t.Errorf("pod spec fragment: %+v\n%s", spec, docs[2])
	}
}
