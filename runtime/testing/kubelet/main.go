// Command test-kubelet serves the kubelet's streaming endpoints for tests: exec, attach and
// port-forward, as kube-apiserver calls them (pkg/registry/core/pod/strategy.go), with the
// kubelet's own handlers from k8s.io/cri-streaming. Its "containers" are local processes:
//
//	/exec/{namespace}/{pod}/{container}?command=..&input=1&output=1&error=1&tty=1
//	    runs the command on this machine (a pty for tty=1)
//	/attach/{namespace}/{pod}/{container}
//	    attaches to the container's main process, started by POST /testing/containers/...
//	/portForward/{namespace}/{pod}
//	    dials 127.0.0.1:<port>
//	POST /testing/containers/{namespace}/{pod}/{container}  {"command": ["cat"]}
//	    starts a container's main process (what a runtime does when a Pod starts)
//
// It serves TLS with a self-signed certificate; kube-apiserver without
// --kubelet-certificate-authority does not verify it. It prints "listening on HOST:PORT"
// once it accepts connections. A test harness, not a kubelet: never expose it.
package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/creack/pty"
	"k8s.io/cri-streaming/pkg/streaming/portforward"
	"k8s.io/cri-streaming/pkg/streaming/remotecommand"
	utilexec "k8s.io/utils/exec"
)

const version = "test-kubelet v0.36.3"

const (
	idleTimeout           = 10 * time.Minute
	streamCreationTimeout = remotecommand.DefaultStreamCreationTimeout
)

// processes tracks every process this kubelet started, to kill them when it stops.
type processes struct {
	mu    sync.Mutex
	procs map[*os.Process]bool
}

func (p *processes) add(proc *os.Process) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.procs[proc] = true
}

func (p *processes) remove(proc *os.Process) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.procs, proc)
}

func (p *processes) killAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for proc := range p.procs {
		// Each runs in a process group of its own (a pty's session, or Setpgid).
		_ = syscall.Kill(-proc.Pid, syscall.SIGKILL)
		_ = proc.Kill()
	}
}

var tracked = &processes{procs: map[*os.Process]bool{}}

// exitError turns os/exec's exit error into the one the handler reports as NonZeroExitCode.
func exitError(err error) error {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return &utilexec.ExitErrorWrapper{ExitError: ee}
	}
	return err
}

type runtime struct {
	mu         sync.Mutex
	containers map[string]*container
}

func key(ns, pod, name string) string { return ns + "/" + pod + "/" + name }

// ExecInContainer implements remotecommand.Executor with a local process.
func (r *runtime) ExecInContainer(ctx context.Context, name string, uid string, containerName string, cmd []string, in io.Reader, out, errOut io.WriteCloser, tty bool, resize <-chan remotecommand.TerminalSize, timeout time.Duration) error {
	if len(cmd) == 0 {
		return errors.New("no command given")
	}
	c := exec.Command(cmd[0], cmd[1:]...)
	c.Env = append(os.Environ(), "TERM=xterm")
	if tty {
		return runTTY(c, in, out, resize)
	}
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	c.Stdout = out
	c.Stderr = errOut
	var stdin io.WriteCloser
	if in != nil {
		var err error
		if stdin, err = c.StdinPipe(); err != nil {
			return err
		}
	}
	if err := c.Start(); err != nil {
		return err
	}
	tracked.add(c.Process)
	defer tracked.remove(c.Process)
	if stdin != nil {
		// Not waited for: the process may end without reading its input, and a client
		// that never closes stdin must not keep the exec open.
		go func() {
			_, _ = io.Copy(stdin, in)
			_ = stdin.Close()
		}()
	}
	return exitError(c.Wait())
}

func runTTY(c *exec.Cmd, in io.Reader, out io.Writer, resize <-chan remotecommand.TerminalSize) error {
	ptmx, err := pty.Start(c)
	if err != nil {
		return err
	}
	tracked.add(c.Process)
	defer tracked.remove(c.Process)
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			select {
			case size, ok := <-resize:
				if !ok {
					return
				}
				_ = pty.Setsize(ptmx, &pty.Winsize{Rows: size.Height, Cols: size.Width})
			case <-done:
				return
			}
		}
	}()
	if in != nil {
		go func() { _, _ = io.Copy(ptmx, in) }()
	}
	copied := make(chan struct{})
	go func() {
		_, _ = io.Copy(out, ptmx) // ends with EIO once the process and its children are gone
		close(copied)
	}()
	err = c.Wait()
	select {
	case <-copied:
	case <-time.After(5 * time.Second): // a background child keeps the pty open
	}
	_ = ptmx.Close()
	return exitError(err)
}

// container is a running main process whose output goes to whoever is attached.
type container struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	done  chan struct{}

	mu        sync.Mutex
	attached  map[io.Writer]chan struct{}
	exitError error
}

func (c *container) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for w, gone := range c.attached {
		if _, err := w.Write(p); err != nil {
			delete(c.attached, w)
			close(gone)
		}
	}
	return len(p), nil
}

func (r *runtime) start(ns, pod, name string, command []string) (*container, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	k := key(ns, pod, name)
	if old := r.containers[k]; old != nil {
		select {
		case <-old.done:
		default:
			return nil, fmt.Errorf("container %s is running", k)
		}
	}
	cmd := exec.Command(command[0], command[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	ctr := &container{cmd: cmd, done: make(chan struct{}), attached: map[io.Writer]chan struct{}{}}
	cmd.Stdout = ctr
	cmd.Stderr = ctr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	ctr.stdin = stdin
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	tracked.add(cmd.Process)
	go func() {
		err := cmd.Wait()
		tracked.remove(cmd.Process)
		ctr.mu.Lock()
		ctr.exitError = err
		ctr.mu.Unlock()
		close(ctr.done)
	}()
	r.containers[k] = ctr
	return ctr, nil
}

func (r *runtime) stop(ns, pod, name string) bool {
	r.mu.Lock()
	ctr := r.containers[key(ns, pod, name)]
	delete(r.containers, key(ns, pod, name))
	r.mu.Unlock()
	if ctr == nil {
		return false
	}
	_ = syscall.Kill(-ctr.cmd.Process.Pid, syscall.SIGKILL)
	<-ctr.done
	return true
}

// AttachContainer implements remotecommand.Attacher: the client sees the main process's
// output from now on and writes to its stdin; closing stdin detaches.
func (r *runtime) AttachContainer(ctx context.Context, name string, uid string, containerName string, in io.Reader, out, errOut io.WriteCloser, tty bool, resize <-chan remotecommand.TerminalSize) error {
	r.mu.Lock()
	ctr := r.containers[name+"/"+containerName]
	r.mu.Unlock()
	if ctr == nil {
		return fmt.Errorf("container %q of pod %q is not running", containerName, name)
	}
	select {
	case <-ctr.done:
		return fmt.Errorf("container %q of pod %q has exited", containerName, name)
	default:
	}
	gone := make(chan struct{})
	if out != nil {
		ctr.mu.Lock()
		ctr.attached[out] = gone
		ctr.mu.Unlock()
		defer func() {
			ctr.mu.Lock()
			if _, ok := ctr.attached[out]; ok {
				delete(ctr.attached, out)
				close(gone)
			}
			ctr.mu.Unlock()
		}()
	}
	detached := make(chan struct{})
	if in != nil {
		go func() {
			buf := make([]byte, 32*1024)
			for {
				n, err := in.Read(buf)
				if n > 0 {
					if _, werr := ctr.stdin.Write(buf[:n]); werr != nil {
						break
					}
				}
				if err != nil {
					break
				}
			}
			close(detached)
		}()
	}
	select {
	case <-ctr.done:
	case <-detached:
	case <-gone:
	case <-ctx.Done():
	}
	return nil
}

// PortForward implements portforward.PortForwarder: the pod's ports are this machine's.
func (r *runtime) PortForward(ctx context.Context, name string, uid string, port int32, stream io.ReadWriteCloser) error {
	conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 10*time.Second)
	if err != nil {
		return fmt.Errorf("failed to connect to localhost:%d inside namespace %q: %v", port, name, err)
	}
	defer conn.Close()
	go func() {
		_, _ = io.Copy(conn, stream)
		if tcp, ok := conn.(*net.TCPConn); ok {
			_ = tcp.CloseWrite()
		}
	}()
	_, err = io.Copy(stream, conn)
	return err
}

func (r *runtime) routes() *http.ServeMux {
	mux := http.NewServeMux()
	exec := func(w http.ResponseWriter, req *http.Request) {
		opts, err := remotecommand.NewOptions(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		ns, pod, ctr := req.PathValue("ns"), req.PathValue("pod"), req.PathValue("container")
		remotecommand.ServeExec(w, req, r, ns+"/"+pod, "", ctr, req.URL.Query()["command"], opts,
			idleTimeout, streamCreationTimeout, remotecommand.SupportedStreamingProtocols)
	}
	attach := func(w http.ResponseWriter, req *http.Request) {
		opts, err := remotecommand.NewOptions(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		ns, pod, ctr := req.PathValue("ns"), req.PathValue("pod"), req.PathValue("container")
		remotecommand.ServeAttach(w, req, r, ns+"/"+pod, "", ctr, opts,
			idleTimeout, streamCreationTimeout, remotecommand.SupportedStreamingProtocols)
	}
	forward := func(w http.ResponseWriter, req *http.Request) {
		opts, err := portforward.NewV4Options(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		ns, pod := req.PathValue("ns"), req.PathValue("pod")
		portforward.ServePortForward(w, req, r, ns+"/"+pod, "", opts,
			idleTimeout, streamCreationTimeout, portforward.SupportedProtocols)
	}
	for _, method := range []string{"GET", "POST"} {
		mux.HandleFunc(method+" /exec/{ns}/{pod}/{container}", exec)
		mux.HandleFunc(method+" /attach/{ns}/{pod}/{container}", attach)
		mux.HandleFunc(method+" /portForward/{ns}/{pod}", forward)
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok"))
	})
	mux.HandleFunc("POST /testing/containers/{ns}/{pod}/{container}", func(w http.ResponseWriter, req *http.Request) {
		var body struct {
			Command []string `json:"command"`
		}
		if err := json.NewDecoder(req.Body).Decode(&body); err != nil || len(body.Command) == 0 {
			http.Error(w, "body must be {\"command\": [...]}", http.StatusBadRequest)
			return
		}
		if _, err := r.start(req.PathValue("ns"), req.PathValue("pod"), req.PathValue("container"), body.Command); err != nil {
			http.Error(w, err.Error(), http.StatusConflict)
			return
		}
		w.WriteHeader(http.StatusCreated)
	})
	mux.HandleFunc("DELETE /testing/containers/{ns}/{pod}/{container}", func(w http.ResponseWriter, req *http.Request) {
		if !r.stop(req.PathValue("ns"), req.PathValue("pod"), req.PathValue("container")) {
			http.Error(w, "no such container", http.StatusNotFound)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	return mux
}

func selfSigned(host string) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "test-kubelet"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour * 365),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.ParseIP(host)},
		DNSNames:     []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to serve on (TLS)")
	certDir := flag.String("cert-dir", "", "write the serving certificate (PEM) to DIR/kubelet.crt")
	showVersion := flag.Bool("version", false, "print the version and exit")
	flag.Parse()
	if *showVersion {
		fmt.Println(version)
		return
	}
	host, _, err := net.SplitHostPort(*listen)
	if err != nil {
		log.Fatalf("--listen: %v", err)
	}
	cert, err := selfSigned(host)
	if err != nil {
		log.Fatal(err)
	}
	if *certDir != "" {
		block := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]})
		if err := os.WriteFile(filepath.Join(*certDir, "kubelet.crt"), block, 0o644); err != nil {
			log.Fatal(err)
		}
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	r := &runtime{containers: map[string]*container{}}
	server := &http.Server{
		Handler:   r.routes(),
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"http/1.1"}},
		ErrorLog:  log.New(os.Stderr, "http: ", log.LstdFlags),
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-stop
		tracked.killAll()
		os.Exit(0)
	}()
	fmt.Printf("listening on %s\n", ln.Addr())
	_ = os.Stdout.Sync()
	if err := server.ServeTLS(ln, "", ""); err != nil && !errors.Is(err, http.ErrServerClosed) {
		tracked.killAll()
		log.Fatal(err)
	}
}
