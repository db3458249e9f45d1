// k8s-validate: an offline schema check of rendered Kubernetes manifests (what kubeconform does,
// without downloading JSON schemas). Each document is decoded strictly into the Go type of its
// apiVersion/kind from k8s.io/api as the API server decodes it (sigs.k8s.io/json: case-sensitive
// field names) — an unknown field, a wrong type or a duplicate key is an error —
// then checked for what decoding cannot see: names, labels, selectors that match their pods,
// container ports and probes that name real ports, env names. ServiceMonitor
// (monitoring.coreos.com/v1) is decoded into the subset of prometheus-operator's type declared
// below. An unknown kind is an error.
//
//	k8s-validate rendered.yaml [more.yaml…]   → one JSON line; exit 1 on any error
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// --- monitoring.coreos.com/v1 ServiceMonitor: the fields prometheus-operator defines that Federa may use

type SecretKeySelector = corev1.SecretKeySelector

type SafeAuthorization struct {
	Type        string             `json:"type,omitempty"`
	Credentials *SecretKeySelector `json:"credentials,omitempty"`
}

type RelabelConfig struct {
	SourceLabels []string `json:"sourceLabels,omitempty"`
	Separator    *string  `json:"separator,omitempty"`
	TargetLabel  string   `json:"targetLabel,omitempty"`
	Regex        string   `json:"regex,omitempty"`
	Modulus      uint64   `json:"modulus,omitempty"`
	Replacement  *string  `json:"replacement,omitempty"`
	Action       string   `json:"action,omitempty"`
}

type NamespaceSelector struct {
	Any        bool     `json:"any,omitempty"`
	MatchNames []string `json:"matchNames,omitempty"`
}

type Endpoint struct {
	Port              string             `json:"port,omitempty"`
	TargetPort        *json.RawMessage   `json:"targetPort,omitempty"`
	Path              string             `json:"path,omitempty"`
	Scheme            string             `json:"scheme,omitempty"`
	Interval          string             `json:"interval,omitempty"`
	ScrapeTimeout     string             `json:"scrapeTimeout,omitempty"`
	HonorLabels       bool               `json:"honorLabels,omitempty"`
	BearerTokenSecret *SecretKeySelector `json:"bearerTokenSecret,omitempty"`
	Authorization     *SafeAuthorization `json:"authorization,omitempty"`
	RelabelConfigs    []RelabelConfig    `json:"relabelings,omitempty"`
	MetricRelabel     []RelabelConfig    `json:"metricRelabelings,omitempty"`
}

type ServiceMonitorSpec struct {
	JobLabel          string               `json:"jobLabel,omitempty"`
	TargetLabels      []string             `json:"targetLabels,omitempty"`
	PodTargetLabels   []string             `json:"podTargetLabels,omitempty"`
	Endpoints         []Endpoint           `json:"endpoints"`
	Selector          metav1.LabelSelector `json:"selector"`
	NamespaceSelector NamespaceSelector    `json:"namespaceSelector,omitempty"`
	SampleLimit       *uint64              `json:"sampleLimit,omitempty"`
}

type ServiceMonitor struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              ServiceMonitorSpec `json:"spec"`
}

// ---

var kinds = map[string]func() any{
	"v1/ConfigMap":                            func() any { return &corev1.ConfigMap{} },
	"v1/Secret":                               func() any { return &corev1.Secret{} },
	"v1/Service":                              func() any { return &corev1.Service{} },
	"v1/ServiceAccount":                       func() any { return &corev1.ServiceAccount{} },
	"apps/v1/Deployment":                      func() any { return &appsv1.Deployment{} },
	"apps/v1/StatefulSet":                     func() any { return &appsv1.StatefulSet{} },
	"autoscaling/v2/HorizontalPodAutoscaler":  func() any { return &autoscalingv2.HorizontalPodAutoscaler{} },
	"policy/v1/PodDisruptionBudget":           func() any { return &policyv1.PodDisruptionBudget{} },
	"networking.k8s.io/v1/NetworkPolicy":      func() any { return &networkingv1.NetworkPolicy{} },
	"monitoring.coreos.com/v1/ServiceMonitor": func() any { return &ServiceMonitor{} },
}

type report struct {
	Files   int            `json:"files"`
	Objects int            `json:"objects"`
	ByKind  map[string]int `json:"byKind"`
	Errors  []string       `json:"errors"`
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: k8s-validate FILE...")
		os.Exit(2)
	}
	r := report{ByKind: map[string]int{}, Errors: []string{}}
	for _, file := range os.Args[1:] {
		r.Files++
		f, err := os.Open(file)
		if err != nil {
			r.Errors = append(r.Errors, err.Error())
			continue
		}
		reader := utilyaml.NewYAMLReader(bufio.NewReader(f))
		for i := 0; ; i++ {
			doc, err := reader.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				r.Errors = append(r.Errors, fmt.Sprintf("%s: document %d: %v", file, i, err))
				break
			}
			if len(bytes.TrimSpace(stripComments(doc))) == 0 {
				continue
			}
			where, kind, errs := validate(doc)
			if kind != "" {
				r.Objects++
				r.ByKind[kind]++
			}
			for _, e := range errs {
				r.Errors = append(r.Errors, fmt.Sprintf("%s: %s: %s", file, where, e))
			}
		}
		f.Close()
	}
	sort.Strings(r.Errors)
	out, _ := json.Marshal(r)
	fmt.Println(string(out))
	if len(r.Errors) > 0 || r.Objects == 0 {
		os.Exit(1)
	}
}

func stripComments(doc []byte) []byte {
	var b bytes.Buffer
	for _, line := range strings.Split(string(doc), "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			b.WriteString(line + "\n")
		}
	}
	return b.Bytes()
}

func validate(doc []byte) (where string, kind string, errs []string) {
	var head struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name string `json:"name"`
		} `json:"metadata"`
	}
	if err := yaml.Unmarshal(doc, &head); err != nil {
		return "document", "", []string{err.Error()}
	}
	key := head.APIVersion + "/" + head.Kind
	where = fmt.Sprintf("%s %s", key, head.Metadata.Name)
	newObj, ok := kinds[key]
	if !ok {
		return where, "", []string{"unknown apiVersion/kind (no schema): " + key}
	}
	obj := newObj()
	// as the API server decodes: YAML to JSON refusing duplicate keys, then JSON with field names
	// matched case-sensitively (encoding/json would accept `readOnlyRootFileSystem`) and unknown
	// fields refused
	data, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		return where, head.Kind, []string{"schema: " + err.Error()}
	}
	strict, err := sigsjson.UnmarshalStrict(data, obj, sigsjson.DisallowDuplicateFields, sigsjson.DisallowUnknownFields)
	if err != nil {
		return where, head.Kind, []string{"schema: " + err.Error()}
	}
	if len(strict) > 0 {
		out := []string{}
		for _, e := range strict {
			out = append(out, "schema: "+e.Error())
		}
		return where, head.Kind, out
	}
	return where, head.Kind, check(obj)
}

func dns1123(what, name string, subdomain bool) []string {
	var msgs []string
	if subdomain {
		msgs = validation.IsDNS1123Subdomain(name)
	} else {
		msgs = validation.IsDNS1123Label(name)
	}
	out := []string{}
	for _, m := range msgs {
		out = append(out, fmt.Sprintf("%s %q: %s", what, name, m))
	}
	return out
}

func checkMeta(m metav1.ObjectMeta, nameIsLabel bool) []string {
	errs := []string{}
	if m.Name == "" {
		errs = append(errs, "metadata.name is empty")
	} else {
		errs = append(errs, dns1123("metadata.name", m.Name, !nameIsLabel)...)
	}
	errs = append(errs, checkLabels("metadata.labels", m.Labels)...)
	for k := range m.Annotations {
		for _, e := range validation.IsQualifiedName(k) {
			errs = append(errs, fmt.Sprintf("annotation %q: %s", k, e))
		}
	}
	return errs
}

func checkLabels(what string, l map[string]string) []string {
	errs := []string{}
	for k, v := range l {
		for _, e := range validation.IsQualifiedName(k) {
			errs = append(errs, fmt.Sprintf("%s key %q: %s", what, k, e))
		}
		for _, e := range validation.IsValidLabelValue(v) {
			errs = append(errs, fmt.Sprintf("%s %q value %q: %s", what, k, v, e))
		}
	}
	return errs
}

func checkSelector(what string, s *metav1.LabelSelector, podLabels map[string]string) []string {
	if s == nil {
		return []string{what + " is missing"}
	}
	sel, err := metav1.LabelSelectorAsSelector(s)
	if err != nil {
		return []string{fmt.Sprintf("%s: %v", what, err)}
	}
	if sel.Empty() {
		return []string{what + " is empty (selects everything)"}
	}
	if podLabels != nil && !sel.Matches(labels.Set(podLabels)) {
		return []string{what + " does not match the pod template's labels"}
	}
	return nil
}

func checkPod(spec corev1.PodSpec) []string {
	errs := []string{}
	if len(spec.Containers) == 0 {
		errs = append(errs, "pod has no containers")
	}
	volumes := map[string]bool{}
	for _, v := range spec.Volumes {
		errs = append(errs, dns1123("volume", v.Name, false)...)
		if volumes[v.Name] {
			errs = append(errs, fmt.Sprintf("volume %q declared twice", v.Name))
		}
		volumes[v.Name] = true
	}
	for _, c := range append(append([]corev1.Container{}, spec.InitContainers...), spec.Containers...) {
		errs = append(errs, dns1123("container", c.Name, false)...)
		if c.Image == "" {
			errs = append(errs, fmt.Sprintf("container %q has no image", c.Name))
		}
		ports := map[string]bool{}
		for _, p := range c.Ports {
			if p.ContainerPort < 1 || p.ContainerPort > 65535 {
				errs = append(errs, fmt.Sprintf("container %q: port %d out of range", c.Name, p.ContainerPort))
			}
			if p.Name != "" {
				for _, e := range validation.IsValidPortName(p.Name) {
					errs = append(errs, fmt.Sprintf("container %q port %q: %s", c.Name, p.Name, e))
				}
				ports[p.Name] = true
			}
		}
		for _, probe := range []*corev1.Probe{c.LivenessProbe, c.ReadinessProbe, c.StartupProbe} {
			if probe == nil {
				continue
			}
			var named string
			if probe.HTTPGet != nil && probe.HTTPGet.Port.StrVal != "" {
				named = probe.HTTPGet.Port.StrVal
			}
			if probe.TCPSocket != nil && probe.TCPSocket.Port.StrVal != "" {
				named = probe.TCPSocket.Port.StrVal
			}
			if named != "" && !ports[named] {
				errs = append(errs, fmt.Sprintf("container %q: a probe names port %q, which it does not declare", c.Name, named))
			}
			if probe.HTTPGet == nil && probe.TCPSocket == nil && probe.Exec == nil && probe.GRPC == nil {
				errs = append(errs, fmt.Sprintf("container %q: a probe has no handler", c.Name))
			}
		}
		for _, e := range c.Env {
			for _, m := range validation.IsEnvVarName(e.Name) {
				errs = append(errs, fmt.Sprintf("container %q env %q: %s", c.Name, e.Name, m))
			}
			if e.Value != "" && e.ValueFrom != nil {
				errs = append(errs, fmt.Sprintf("container %q env %q: value and valueFrom both set", c.Name, e.Name))
			}
		}
		for _, m := range c.VolumeMounts {
			if !volumes[m.Name] {
				errs = append(errs, fmt.Sprintf("container %q mounts unknown volume %q", c.Name, m.Name))
			}
		}
	}
	return errs
}

func check(obj any) []string {
	switch o := obj.(type) {
	case *appsv1.Deployment:
		errs := checkMeta(o.ObjectMeta, false)
		errs = append(errs, checkLabels("pod template labels", o.Spec.Template.Labels)...)
		errs = append(errs, checkSelector("spec.selector", o.Spec.Selector, o.Spec.Template.Labels)...)
		return append(errs, checkPod(o.Spec.Template.Spec)...)
	case *appsv1.StatefulSet:
		errs := checkMeta(o.ObjectMeta, false)
		errs = append(errs, checkSelector("spec.selector", o.Spec.Selector, o.Spec.Template.Labels)...)
		return append(errs, checkPod(o.Spec.Template.Spec)...)
	case *corev1.Service:
		errs := checkMeta(o.ObjectMeta, true)
		if len(o.Spec.Ports) == 0 {
			errs = append(errs, "service has no ports")
		}
		for _, p := range o.Spec.Ports {
			if len(o.Spec.Ports) > 1 && p.Name == "" {
				errs = append(errs, "a service with several ports must name each")
			}
		}
		return append(errs, checkLabels("spec.selector", o.Spec.Selector)...)
	case *autoscalingv2.HorizontalPodAutoscaler:
		errs := checkMeta(o.ObjectMeta, false)
		if o.Spec.MinReplicas != nil && *o.Spec.MinReplicas > o.Spec.MaxReplicas {
			errs = append(errs, "minReplicas > maxReplicas")
		}
		if o.Spec.ScaleTargetRef.Name == "" || o.Spec.ScaleTargetRef.Kind == "" {
			errs = append(errs, "scaleTargetRef incomplete")
		}
		return errs
	case *policyv1.PodDisruptionBudget:
		errs := checkMeta(o.ObjectMeta, false)
		if (o.Spec.MinAvailable == nil) == (o.Spec.MaxUnavailable == nil) {
			errs = append(errs, "exactly one of minAvailable and maxUnavailable")
		}
		return append(errs, checkSelector("spec.selector", o.Spec.Selector, nil)...)
	case *networkingv1.NetworkPolicy:
		errs := checkMeta(o.ObjectMeta, false)
		for _, t := range o.Spec.PolicyTypes {
			if t != networkingv1.PolicyTypeIngress && t != networkingv1.PolicyTypeEgress {
				errs = append(errs, fmt.Sprintf("policyType %q", t))
			}
		}
		return errs
	case *ServiceMonitor:
		errs := checkMeta(o.ObjectMeta, false)
		errs = append(errs, checkSelector("spec.selector", &o.Spec.Selector, nil)...)
		if len(o.Spec.Endpoints) == 0 {
			errs = append(errs, "no endpoints")
		}
		return errs
	case *corev1.ConfigMap:
		return checkMeta(o.ObjectMeta, false)
	case *corev1.Secret:
		return checkMeta(o.ObjectMeta, false)
	case *corev1.ServiceAccount:
		return checkMeta(o.ObjectMeta, false)
	}
	return nil
}
