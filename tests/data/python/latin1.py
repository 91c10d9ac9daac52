# -*- coding: latin-1 -*-
NAME = "Entwürfe"
