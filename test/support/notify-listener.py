# A stand-in for systemd's notify socket in the tests: binds an AF_UNIX datagram socket (a path,
# or "@name" in the abstract namespace), prints each message it receives as a JSON line with the
# sender's PID from its credentials (SO_PASSCRED), and closes any descriptors passed with it (a
# BARRIER=1 message's pipe, as systemd does, so the sender's wait ends).
import array, json, os, socket, struct, sys

name = sys.argv[1]
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
sock.bind("\0" + name[1:] if name.startswith("@") else name)
print(json.dumps({"listening": name}), flush=True)
while True:
    data, ancillary, _flags, _addr = sock.recvmsg(65536, socket.CMSG_SPACE(12) + socket.CMSG_SPACE(4 * 16))
    pid = None
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            pid = struct.unpack("iII", payload[:12])[0]
        elif level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds = array.array("i")
            fds.frombytes(payload[: len(payload) - len(payload) % 4])
            for fd in fds:
                os.close(fd)
    print(json.dumps({"pid": pid, "message": data.decode()}), flush=True)
