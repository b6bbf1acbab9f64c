"""Kernels forked from a template (kernel_template.py) are as fresh and as contained as kernels
started from nothing: nothing passes from one to the next, and none sees the template."""
import time

import pytest

from autograder import kernel_template, sandbox, wire
from autograder.kernel_template import KernelTemplate, modules_to_preload

LIMITS = sandbox.Limits(cell_seconds=20)


def test_the_modules_preloaded_are_the_setup_cells_imports_and_numpy():
    setup = ["import numpy as np\nimport matplotlib.pyplot as plt\nfrom copy import deepcopy",
             "from . import local\nimport torch.nn.functional as F, math\nx = 1", "def broken(:"]
    assert modules_to_preload(setup) == ("numpy", "matplotlib.pyplot", "copy", "torch.nn.functional", "math")
    assert modules_to_preload([]) == ("numpy",)


@pytest.fixture(scope="module")
def template():
    started = KernelTemplate(LIMITS, ("numpy", "matplotlib.pyplot"))
    yield started
    started.close()


def run(template, *cells):
    """Start a kernel, run ``cells`` in it; (each cell's stdout, how the kernel ended)."""
    kernel = template.start(LIMITS, sandbox.kernel_uid())
    deadline = time.monotonic() + 30
    assert wire.receive(kernel.read_fd, 1 << 20, deadline) == {"op": "ready"}
    printed = []
    try:
        for source in cells:
            wire.send(kernel.write_fd, {"op": "run", "source": source, "name": "cell"})
            reply = wire.receive(kernel.read_fd, 1 << 20, deadline)
            assert reply["op"] == "done"
            printed.append(reply["stdout"].strip() if not reply["error"] else reply["error"]["ename"])
    except EOFError:
        printed.append("died")
    kernel.kill()
    return printed, kernel.exit_description()


@pytest.mark.root
def test_each_kernel_starts_from_the_template_not_from_the_last_kernel(template):
    first, _ = run(template, "secret = 42\nopen('/tmp/left', 'w').write('x')\nopen('left', 'w').write('x')\n"
                             "import numpy as np\nprint(np.random.rand())")
    second, _ = run(template, "print('secret' in globals())", "import os\nprint(os.listdir('/tmp') + os.listdir('.'))",
                    "import numpy as np\nprint(np.random.rand())")
    assert second[:2] == ["False", "[]"]
    assert second[2] != first[0], "every fork would share numpy's random state unless it is reseeded"


@pytest.mark.root
def test_a_forked_kernel_is_alone_in_namespaces_of_its_own_under_its_own_user_id(template):
    printed, _ = run(template, "import os, socket\n"
                               "print(os.getpid(), os.getuid(), os.getcwd())\n"
                               "print(sorted(p for p in os.listdir('/proc') if p.isdigit()))\n"
                               "print(sorted(int(fd) for fd in os.listdir('/proc/self/fd')))\n"
                               "s = socket.socket()\n"
                               "try:\n    s.connect(('1.1.1.1', 53))\nexcept OSError as e:\n    print('no network')\n")
    pid_uid_cwd, processes, descriptors, network = printed[0].splitlines()
    assert pid_uid_cwd == f"1 {sandbox.kernel_uid()} {sandbox.WORKDIR}"
    assert processes == "['1']"  # its own /proc: neither the template nor any other kernel
    assert len(eval(descriptors)) <= 6  # 0-2, its channel's two ends, the listing's own: none of the template's
    assert network == "no network"


@pytest.mark.root
def test_the_modules_are_preloaded_and_a_crash_is_told_as_it_was(template):
    printed, ended = run(template, "import sys\nprint('matplotlib.pyplot' in sys.modules)", "import os\nos._exit(3)")
    assert printed == ["True", "died"] and ended.startswith("exited with code 3")
    printed, ended = run(template, "import ctypes\nctypes.string_at(0)")
    assert printed == ["died"] and ended.startswith("killed by SIGSEGV")


@pytest.mark.root
def test_a_template_that_dies_is_replaced_and_takes_its_kernel_with_it():
    first = kernel_template.template_for(LIMITS)
    kernel = first.start(LIMITS, sandbox.kernel_uid())
    first.process.kill()
    with pytest.raises(EOFError):
        wire.receive(kernel.read_fd, 1 << 20, time.monotonic() + 30)  # "ready", then the channel closes
        wire.receive(kernel.read_fd, 1 << 20, time.monotonic() + 30)
    kernel.kill()
    second = kernel_template.template_for(LIMITS)
    assert second is not first and second.alive()
    kernel_template.close_templates()
    assert second.process.process.poll() is not None and not second.alive()
