"""transitions machines: the generic form machine and the demand lifecycle. Imports
nothing of the project's other packages."""
