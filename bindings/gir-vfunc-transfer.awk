# gir-vfunc-transfer.awk: make Mailsync-1.0.gir from what g-ir-scanner wrote
# (libmailsync/Makefile.am runs it).  It changes the ownership transfer of
# three virtual methods (and of the class structure fields that hold them)
# from "container" to "full", and nothing else:
#
#   Folder.list_messages_finish      return value  (GPtrArray of MessageInfo)
#   Repository.list_folders_finish   return value  (GPtrArray of Folder)
#   StatusStore.load                 records, meta (GPtrArray, GHashTable)
#
# Why the two directions differ.  The arrays the library hands out own
# their elements: a free function (GHashTable: destroy functions) drops
# one reference per element when the container is freed.  A caller that
# gets one frees the container once, and that is (transfer container):
# with (transfer full), PyGObject and GJS take each element's reference
# themselves and then free the container, whose free function drops the
# same references again (use-after-free; StatusStore.load had it).
#
# A backend written in Python or JavaScript goes the other way: the
# binding builds the container from a list and has no free function to
# give it.  With (transfer container) the elements are only borrowed from
# the binding's wrappers, which die as soon as the vfunc returns: the
# sync engine then read freed MessageInfos (and deleted a local message
# it no longer saw on the remote side).  With (transfer full) the binding
# gives the caller a reference to each element; the invokers
# (mailsync_folder_list_messages_finish, the repository's list_folders
# callback, mailsync_status_store_load) then give the container the free
# function it may lack, so that their own callers get the same
# self-owning container whatever language the backend is written in.
#
# g-ir-scanner cannot say this: it copies the invoker's annotations onto
# the virtual method it pairs with it, overriding the
# "Class::vfunc:" doc block.  Hence this step.  Every change must apply
# exactly once: a renamed vfunc or parameter, or a scanner that already
# writes "full", fails the build here rather than silently shipping the
# use-after-free again.

BEGIN {
  # Type/member/item: the virtual method, and the class structure's field
  # that holds it (PyGObject builds a Python vfunc's closure from the
  # field's callback type, not from the virtual method).
  want["Folder/list_messages_finish/return"] = 1
  want["FolderClass/list_messages_finish/return"] = 1
  want["Repository/list_folders_finish/return"] = 1
  want["RepositoryClass/list_folders_finish/return"] = 1
  want["StatusStore/load/records"] = 1
  want["StatusStore/load/meta"] = 1
  want["StatusStoreInterface/load/records"] = 1
  want["StatusStoreInterface/load/meta"] = 1
}

# The type (<class>, <interface>, <record>) and the member (a virtual
# method, or a field of a class structure) we are in.
/^ *<(class|interface|record) name="/ {
  type = $0
  sub(/^[^"]*"/, "", type)
  sub(/".*/, "", type)
}
/<(virtual-method|field) name="/ {
  member = $0
  sub(/^.*<(virtual-method|field) name="/, "", member)
  sub(/".*/, "", member)
  item = ""
}
/<\/(virtual-method|field)>/ { member = "" }

# The item whose attributes follow: the return value or a parameter (a
# tag may span several lines; the attribute is in the tag, before ">").
member != "" && /<return-value/ { item = "return"; intag = 1 }
member != "" && /<parameter name="/ {
  item = $0
  sub(/^.*<parameter name="/, "", item)
  sub(/".*/, "", item)
  intag = 1
}

{
  key = type "/" member "/" item
  if (intag && member != "" && (key in want) && /transfer-ownership="container"/) {
    sub(/transfer-ownership="container"/, "transfer-ownership=\"full\"")
    done[key]++
  }
  if (intag && />/)
    intag = 0
  print
}

END {
  for (k in want)
    if (done[k] != 1) {
      printf "gir-vfunc-transfer.awk: %s: expected one transfer-ownership=\"container\" to change, changed %d\n", k, done[k] + 0 > "/dev/stderr"
      failed = 1
    }
  exit failed
}
