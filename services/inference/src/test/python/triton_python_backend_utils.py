"""A small stand-in for NVIDIA Triton's triton_python_backend_utils, for running model.py on CPU in tests.

Triton itself (its C++ server and the Python backend's stub process) is the outer edge these tests
cannot run without a GPU machine and NVIDIA's image, so only the part of the module model.py calls is
restated here, with the same names and meanings: Tensor (name, as_numpy), InferenceRequest (inputs,
requested_output_names), InferenceResponse (output_tensors, error), TritonError and
get_input_tensor_by_name. Nothing of the platform is replaced.
"""


class TritonError(Exception):
    def __init__(self, message):
        super().__init__(message)
        self._message = message

    def message(self):
        return self._message


class Tensor:
    def __init__(self, name, array):
        self._name = name
        self._array = array

    def name(self):
        return self._name

    def as_numpy(self):
        return self._array


class InferenceRequest:
    def __init__(self, inputs, requested_output_names):
        self._inputs = inputs
        self._requested = list(requested_output_names)

    def inputs(self):
        return list(self._inputs)

    def requested_output_names(self):
        return list(self._requested)


class InferenceResponse:
    def __init__(self, output_tensors=None, error=None):
        self._outputs = list(output_tensors or [])
        self._error = error

    def output_tensors(self):
        return self._outputs

    def has_error(self):
        return self._error is not None

    def error(self):
        return self._error


def get_input_tensor_by_name(request, name):
    for tensor in request.inputs():
        if tensor.name() == name:
            return tensor
    return None
